package dev.twostep

import java.net.URI
import java.net.http.HttpClient
import java.time.Duration
import java.net.http.HttpRequest as JHttpRequest
import java.net.http.HttpResponse as JHttpResponse

/**
 * A ready [HttpTransport] over `java.net.http`, for JVM apps (server-side Kotlin, desktop,
 * tests). Android has no `java.net.http`: implement [HttpTransport] over OkHttp or
 * `HttpURLConnection` there, the same way.
 *
 * The SDK calls [send] on the calling thread and it blocks: never call the SDK from a UI
 * thread. Every HTTP answer is returned as it is (4xx and 5xx too, so the SDK can map the
 * server's error); only a failure to talk to the server at all throws
 * [TransportException.Failed].
 */
class JavaNetTransport @JvmOverloads constructor(
    private val client: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
    private val timeout: Duration = Duration.ofSeconds(20),
) : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        val body = request.body?.let { JHttpRequest.BodyPublishers.ofByteArray(it) }
            ?: JHttpRequest.BodyPublishers.noBody()
        val builder = try {
            JHttpRequest.newBuilder(URI.create(request.url))
                .timeout(timeout)
                .method(request.method, body)
                .apply { request.headers.forEach { header(it.name, it.value) } }
        } catch (e: IllegalArgumentException) {
            throw TransportException.Failed("invalid request: ${e.message}")
        }
        val response = try {
            client.send(builder.build(), JHttpResponse.BodyHandlers.ofByteArray())
        } catch (e: java.io.IOException) {
            throw TransportException.Failed(e.toString())
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            throw TransportException.Failed("interrupted")
        }
        val headers = response.headers().map().flatMap { (name, values) -> values.map { HttpHeader(name, it) } }
        return HttpResponse(response.statusCode().toUShort(), headers, response.body())
    }
}

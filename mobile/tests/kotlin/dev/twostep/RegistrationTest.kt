package dev.twostep

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.json.JSONObject
import java.net.ConnectException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JHttpRequest
import java.net.http.HttpResponse as JHttpResponse
import java.time.Duration
import java.util.Base64
import java.util.UUID
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

/**
 * Device registration end to end against the real twostep-server the test run started
 * (`cargo xtask bindings test`), over a `java.net.http` transport.
 */
class RegistrationTest {
    private fun env(name: String): String =
        System.getenv(name)?.takeIf { it.isNotEmpty() }
            ?: error("$name is not set: run these tests with `cargo xtask bindings test`")

    private val url = env("TWOSTEP_E2E_URL")
    private val serviceKey = env("TWOSTEP_E2E_SERVICE_KEY")
    private val jwtSecret = env("TWOSTEP_E2E_JWT_SECRET")
    private val maxFailures = env("TWOSTEP_E2E_MAX_FAILURES").toInt()
    private val lockSecs = env("TWOSTEP_E2E_LOCK_SECS").toULong()
    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    private fun b64url(bytes: ByteArray) = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)

    /** An HS256 JWT as the host app's backend signs it (javax.crypto, not twostep). */
    private fun userToken(sub: String, secret: String = jwtSecret): String {
        val header = b64url("""{"alg":"HS256","typ":"JWT"}""".toByteArray())
        val exp = System.currentTimeMillis() / 1000 + 600
        val claims = b64url(JSONObject(mapOf("sub" to sub, "exp" to exp)).toString().toByteArray())
        val mac = Mac.getInstance("HmacSHA256").apply { init(SecretKeySpec(secret.toByteArray(), "HmacSHA256")) }
        return "$header.$claims.${b64url(mac.doFinal("$header.$claims".toByteArray()))}"
    }

    /** The SDK's java.net.http transport, recording what the SDK asked it to send. */
    class RecordingTransport(http: HttpClient) : HttpTransport {
        private val inner = JavaNetTransport(http, Duration.ofSeconds(10))
        val requests = mutableListOf<HttpRequest>()

        override fun send(request: HttpRequest): HttpResponse {
            synchronized(requests) { requests.add(request) }
            return inner.send(request)
        }
    }

    /** The product backend's verify call, with the service key (plain java.net.http). */
    private fun serviceVerify(user: String, code: String): Pair<Int, JSONObject> {
        val request = JHttpRequest.newBuilder(URI.create("$url/v1/users/$user/verify"))
            .header("Authorization", "Bearer $serviceKey")
            .header("Content-Type", "application/json")
            .POST(JHttpRequest.BodyPublishers.ofString(JSONObject(mapOf("code" to code)).toString()))
            .build()
        val response = http.send(request, JHttpResponse.BodyHandlers.ofString())
        return response.statusCode() to JSONObject(response.body())
    }

    private fun newUser() = "kt-${UUID.randomUUID()}"

    private fun now() = (System.currentTimeMillis() / 1000).toULong()

    @Test
    fun registerConfirmVerifyReuse() {
        val user = newUser()
        val token = userToken(user)
        val transport = RecordingTransport(http)
        DeviceRegistration(url, user, token, transport).use { reg ->
            val pending = reg.begin("Pixel 8", "Acme", "alice@acme.test")
            assertEquals(DeviceStatus.PENDING, pending.device.status)
            assertEquals("Pixel 8", pending.device.name)
            val uri = parseUri(pending.otpauthUri)
            assertEquals(listOf("totp", "Acme", "alice@acme.test"), listOf(uri.type, uri.issuer, uri.account))
            assertEquals(listOf(pending.device.id), reg.devices().map { it.id })

            val t = now()
            val confirmed = reg.confirmAt(t)
            assertEquals(pending.device.id, confirmed.device.id)
            assertEquals(DeviceStatus.ACTIVE, confirmed.device.status)
            assertNotNull(confirmed.device.confirmedAt)
            // Backup codes come with the user's first device: 10 distinct ones.
            assertEquals(10, confirmed.backupCodes.size)
            assertEquals(10, confirmed.backupCodes.toSet().size)
            // The SDK built the requests: the documented path and the bearer user token.
            val first = transport.requests.first()
            assertEquals("POST $url/v1/users/$user/devices", "${first.method} ${first.url}")
            assertEquals(
                listOf("Bearer $token"),
                first.headers.filter { it.name.equals("authorization", true) }.map { it.value },
            )

            // The backend verifies a fresh code of the phone (the next step) once; reuse is refused.
            val fresh = pending.totp.nextCodeAt(t)
            val (ok, body) = serviceVerify(user, fresh)
            assertEquals(200, ok, body.toString())
            assertEquals(pending.device.id, body.getString("device_id"))
            val (again, refused) = serviceVerify(user, fresh)
            assertEquals(422, again)
            assertEquals("invalid_code", refused.getJSONObject("error").getString("code"))

            assertEquals(listOf(DeviceStatus.ACTIVE), reg.devices().map { it.status })
            reg.removeDevice(pending.device.id)
            assertEquals(emptyList<Device>(), reg.devices())
            pending.totp.close()
        }
    }

    @Test
    fun wrongCodeThenLockedWithRetryAfter() {
        val user = newUser()
        DeviceRegistration(url, user, userToken(user), JavaNetTransport(http)).use { reg ->
            val pending = reg.begin("phone")
            val t = now().toLong()
            val near = (-3..3).map { pending.totp.codeAt((t + it * 30).toULong()) }.toSet()
            val wrong = (123457..999999).map { "%06d".format(it) }.first { it !in near }
            repeat(maxFailures) {
                assertThrows(TwostepException.InvalidCode::class.java) { reg.confirm(wrong) }
            }
            val locked = assertThrows(TwostepException.Locked::class.java) { reg.confirmNow() }
            val retry = locked.retryAfterSeconds ?: error("no Retry-After")
            assertTrue(retry in 1uL..lockSecs, "retry after $retry")
            assertEquals(listOf(DeviceStatus.PENDING), reg.devices().map { it.status })
        }
    }

    @Test
    fun serverAndClientErrorsAreTyped() {
        val user = newUser()
        val unauthorized = assertThrows(TwostepException.Server::class.java) {
            DeviceRegistration(url, user, userToken(user, "not-the-secret-at-all"), JavaNetTransport(http)).devices()
        }
        assertEquals("unauthorized" to 401.toUShort(), unauthorized.code to unauthorized.status)
        val forbidden = assertThrows(TwostepException.Server::class.java) {
            DeviceRegistration(url, newUser(), userToken(user), JavaNetTransport(http)).devices()
        }
        assertEquals("forbidden" to 403.toUShort(), forbidden.code to forbidden.status)
        DeviceRegistration(url, user, userToken(user), JavaNetTransport(http)).use { reg ->
            val notBegun = assertThrows(TwostepException.InvalidInput::class.java) { reg.confirm("123456") }
            assertEquals("no_pending_device", notBegun.code)
            val missing = assertThrows(TwostepException.Server::class.java) {
                reg.removeDevice(UUID.randomUUID().toString())
            }
            assertEquals("not_found" to 404.toUShort(), missing.code to missing.status)
        }
        val badUrl = assertThrows(TwostepException.InvalidInput::class.java) {
            DeviceRegistration("ftp://x", user, "t", JavaNetTransport(http))
        }
        assertEquals("invalid_url", badUrl.code)
    }

    @Test
    fun transportFailuresAreTyped() {
        // Nothing listens on port 9 of 127.0.0.1 here: the client fails, the SDK reports Transport.
        DeviceRegistration("http://127.0.0.1:9", "alice", userToken("alice"), JavaNetTransport(http)).use {
            val e = assertThrows(TwostepException.Transport::class.java) { it.begin("phone") }
            assertTrue(e.reason.contains(ConnectException::class.java.simpleName), e.reason)
        }
        val broken = object : HttpTransport {
            override fun send(request: HttpRequest): HttpResponse = throw IllegalStateException("boom")
        }
        DeviceRegistration(url, "alice", userToken("alice"), broken).use {
            val e = assertThrows(TwostepException.Transport::class.java) { it.devices() }
            assertTrue(e.reason.contains("boom"), e.reason)
        }
    }
}

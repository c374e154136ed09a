package dev.twostep

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** One Totp object shared by many threads gives every thread the right codes. */
class ThreadTest {
    @Test
    fun manyThreadsOneTotp() {
        // RFC 6238 Appendix B, SHA1: the six reference times and codes.
        val rfc = mapOf(
            59uL to "94287082", 1111111109uL to "07081804", 1111111111uL to "14050471",
            1234567890uL to "89005924", 2000000000uL to "69279037", 20000000000uL to "65353130",
        )
        val totp = Totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 8u, 30u)
        val threads = 8
        val pool = Executors.newFixedThreadPool(threads)
        try {
            val start = java.util.concurrent.CountDownLatch(1)
            val results = (0 until threads).map { t ->
                pool.submit(Callable {
                    start.await()
                    var checked = 0
                    repeat(2_000) { i ->
                        val (time, want) = rfc.entries.elementAt((i + t) % rfc.size)
                        check(totp.codeAt(time) == want) { "thread $t: wrong code at $time" }
                        check(totp.verify(want, time, 1u) == time / 30uL) { "thread $t: verify at $time" }
                        checked++
                    }
                    checked
                })
            }
            start.countDown()
            assertEquals(threads * 2_000, results.sumOf { it.get(10, TimeUnit.MINUTES) })
        } finally {
            pool.shutdownNow()
            pool.awaitTermination(1, TimeUnit.MINUTES)
            totp.close()
        }
    }
}

package dev.twostep

import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/**
 * Native objects are freed: 100,000 create/use/drop cycles of Totp keep the process RSS
 * within a fixed bound. The JVM runs with a fixed, pre-touched heap (-Xms = -Xmx,
 * AlwaysPreTouch in pom.xml), so heap growth does not show up as RSS growth.
 *
 * Bound: 8 MiB over a warmed-up baseline. A leaked native Totp is at least its two
 * precomputed HMAC-SHA1 states plus the Arc and allocator header (well over 100 bytes),
 * so leaking every one of 100,000 would add more than 10 MiB; the control test below
 * measures what keeping them alive really costs, and must exceed the bound.
 */
class MemoryTest {
    private val secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    private val bound = 8L * 1024 * 1024

    private fun rss(): Long {
        val line = File("/proc/self/status").readLines().first { it.startsWith("VmRSS:") }
        return line.removePrefix("VmRSS:").trim().removeSuffix("kB").trim().toLong() * 1024
    }

    /** RSS once the garbage collector and JNA's cleaner have released what is unreachable. */
    private fun settledRss(): Long {
        repeat(3) {
            System.gc()
            Thread.sleep(200)
        }
        return rss()
    }

    private fun cycles(n: Int) {
        repeat(n) { i ->
            Totp(secret, "SHA1", 6u, 30u).use { check(it.codeAt(i.toULong()).length == 6) }
        }
    }

    /**
     * Runs the workload until the JVM's own memory (JIT, allocator arenas, JNA) has settled:
     * two consecutive rounds within 1 MiB of each other (at most 10 rounds). Returns the RSS.
     */
    private fun warmUp(): Long {
        var last = settledRss()
        repeat(10) {
            cycles(20_000)
            val now = settledRss()
            if (Math.abs(now - last) < 1024 * 1024) return now
            last = now
        }
        return last
    }

    @Test
    fun createUseDropDoesNotGrowRss() {
        val before = warmUp()
        cycles(100_000)
        val after = settledRss()
        println("MemoryTest: VmRSS before ${before / 1024} KiB, after 100000 cycles ${after / 1024} KiB, growth ${(after - before) / 1024} KiB (bound ${bound / 1024} KiB)")
        assertTrue(after - before < bound, "RSS grew by ${(after - before) / 1024} KiB")
    }

    @Test
    fun controlKeepingObjectsAliveExceedsTheBound() {
        val before = warmUp()
        val alive = ArrayList<Totp>(100_000)
        repeat(100_000) { alive.add(Totp(secret, "SHA1", 6u, 30u)) }
        val after = rss()
        alive.forEach { it.close() }
        println("MemoryTest control: 100000 live Totp objects add ${(after - before) / 1024} KiB of RSS")
        assertTrue(after - before > bound, "the RSS measurement cannot see 100000 native objects")
    }
}

package dev.twostep

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.json.JSONObject

/** Every case of the shared vectors, one JUnit test per case, as in the Rust and Python suites. */
class VectorTest {
    @TestFactory
    fun otp(): List<DynamicTest> {
        val cases = Vectors.cases("otp.json")
        assertEquals(28, cases.size, "RFC 4226 D has 10 cases, RFC 6238 B has 18")
        return cases.map { c -> dynamicTest(c.getString("name")) { checkOtp(c) } }
    }

    private fun checkOtp(c: JSONObject) {
        val secret = c.getString("secret_base32")
        val algorithm = c.getString("algorithm")
        val digits = c.getInt("digits").toUInt()
        val code = c.getString("code")
        when (c.getString("type")) {
            "hotp" -> {
                val counter = c.getLong("counter").toULong()
                assertEquals(code, hotp(secret, counter, algorithm, digits))
            }
            "totp" -> Totp(secret, algorithm, digits, c.getInt("period").toUInt()).use { totp ->
                val time = c.getLong("time").toULong()
                val step = c.getLong("step").toULong()
                assertEquals(step, totp.stepAt(time))
                assertEquals(code, totp.codeAt(time))
                assertEquals(step, totp.verify(code, time, 0u))
                // Lower-case and spaced base32, as services hand secrets out, gives the same code.
                Totp(secret.lowercase().chunked(4).joinToString(" "), algorithm, digits, c.getInt("period").toUInt()).use {
                    assertEquals(code, it.codeAt(time))
                }
            }
            else -> error("unknown type ${c.getString("type")}")
        }
    }

    @TestFactory
    fun uri(): List<DynamicTest> {
        val cases = Vectors.cases("uri.json")
        assertTrue(cases.size >= 40, "only ${cases.size} key-URI cases")
        return cases.map { c -> dynamicTest(c.getString("name")) { checkUri(c) } }
    }

    private fun checkUri(c: JSONObject) {
        val input = c.getString("uri")
        if (c.has("error")) {
            val e = assertThrows(TwostepException.InvalidInput::class.java) { parseUri(input) }
            assertEquals(c.getString("error"), e.code)
            return
        }
        val parsed = c.getJSONObject("parsed")
        val uri = parseUri(input)
        assertEquals(expected(parsed), uri)
        val canonical = c.getString("canonical")
        assertEquals(canonical, buildUri(uri))
        assertEquals(uri, parseUri(canonical))
        if (uri.type == "totp") {
            Totp.fromUri(input).use { assertEquals(uri.period, it.period()) }
        } else {
            val e = assertThrows(TwostepException.InvalidInput::class.java) { Totp.fromUri(input) }
            assertEquals("unsupported_type", e.code)
        }
    }

    /** The vector's `parsed` object as the KeyUri record the bindings should return. */
    private fun expected(p: JSONObject): KeyUri {
        val params = p.getJSONArray("params")
        return KeyUri(
            type = p.getString("type"),
            secret = p.getString("secret"),
            issuer = if (p.isNull("issuer") || !p.has("issuer")) null else p.getString("issuer"),
            account = p.getString("account"),
            algorithm = p.getString("algorithm"),
            digits = p.getInt("digits").toUInt(),
            period = if (p.has("period")) p.getInt("period").toUInt() else null,
            counter = if (p.has("counter")) p.getBigInteger("counter").toString().toULong() else null,
            params = (0 until params.length()).map {
                val pair = params.getJSONArray(it)
                KeyUriParam(pair.getString(0), pair.getString(1))
            },
        )
    }

    @TestFactory
    fun migration(): List<DynamicTest> {
        val doc = Vectors.load("migration.json")
        val good = Vectors.objects(doc.getJSONArray("single")).mapIndexed { i, c ->
            dynamicTest("import $i") {
                val keys = c.getJSONArray("keys")
                val imported = importMigration(c.getString("uri"))
                assertEquals((0 until keys.length()).map { keys.getString(it) }, imported.map { buildUri(it) })
            }
        }
        val bad = Vectors.objects(doc.getJSONArray("errors")).mapIndexed { i, c ->
            dynamicTest("error $i: ${c.getString("error")}") {
                val e = assertThrows(TwostepException.InvalidInput::class.java) { importMigration(c.getString("uri")) }
                assertEquals(c.getString("error"), e.code)
            }
        }
        return good + bad
    }

    @Test
    fun verifyOutsideTheWindowIsNull() {
        // RFC 6238 B, SHA1, T = 59: 94287082. One step later it is accepted only with a window.
        Totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 8u, 30u).use {
            assertNull(it.verify("94287082", 89uL, 0u))
            assertEquals(1uL, it.verify("94287082", 89uL, 1u))
            assertNull(it.verify("9428708", 59uL, 1u))
        }
    }
}

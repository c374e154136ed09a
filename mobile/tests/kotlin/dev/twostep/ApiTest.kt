package dev.twostep

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.function.Executable

/** Types, defaults, helpers and the error code of every class of bad input. */
class ApiTest {
    private val rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"

    private fun code(expected: String, call: Executable): TwostepException.InvalidInput {
        val e = assertThrows(TwostepException.InvalidInput::class.java, call)
        assertEquals(expected, e.code)
        assertTrue(e.reason.isNotBlank())
        assertTrue(e.message.contains(expected))
        return e
    }

    @Test
    fun errorCodes() {
        val bad = code("invalid_base32") { Totp("JBSWY3DPEHPK3PX1") }
        assertFalse(bad.reason.contains("JBSWY3DPEHPK3PX1"), "the secret must not appear in the error")
        code("invalid_base32") { Totp("") }
        code("invalid_secret_length") { Totp("A".repeat(416)) } // 260 bytes > 256
        code("invalid_secret_length") { generateSecret(8u) }
        code("unsupported_algorithm") { Totp(rfcSecret, "MD5") }
        code("unsupported_algorithm") { hotp(rfcSecret, 0uL, "SHA3") }
        code("invalid_digits") { Totp(rfcSecret, "SHA1", 5u) }
        code("invalid_digits") { hotp(rfcSecret, 0uL, "SHA1", 11u) }
        code("invalid_period") { Totp(rfcSecret, "SHA1", 6u, 0u) }
        code("invalid_uri") { parseUri("https://example.com/?secret=JBSWY3DPEHPK3PXP") }
        code("missing_secret") { Totp.fromUri("otpauth://totp/Example:alice?issuer=Example") }
        code("unsupported_type") { Totp.fromUri("otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&counter=1") }
        code("invalid_account") { buildUri(KeyUri(type = "totp", secret = rfcSecret, account = "a:b")) }
        code("invalid_issuer") { buildUri(KeyUri(type = "totp", secret = rfcSecret, account = "a", issuer = "")) }
        code("missing_counter") { buildUri(KeyUri(type = "hotp", secret = rfcSecret, account = "a")) }
        code("unsupported_type") { buildUri(KeyUri(type = "motp", secret = rfcSecret, account = "a")) }
        code("invalid_migration") { importMigration("otpauth-migration://offline?data=%%%") }
        code("data_too_long") { qrSvg("x".repeat(3000)) }
        code("invalid_color") { qrSvg("x", QrOptions(dark = "black")) }
        code("invalid_scale") { qrPng("x", QrOptions(scale = 0u)) }
    }

    @Test
    fun defaultsAreSha1SixDigitsThirtySeconds() {
        Totp(rfcSecret).use {
            assertEquals("SHA1", it.algorithm())
            assertEquals(6u, it.digits())
            assertEquals(30u, it.period())
            assertEquals("287082", it.codeAt(59uL)) // RFC 6238 B, truncated to 6 digits
        }
        assertEquals("755224", hotp(rfcSecret, 0uL)) // RFC 4226 D, count 0
    }

    @Test
    fun authenticatorHelpers() {
        Totp(rfcSecret, "SHA1", 8u, 30u).use { totp ->
            val d = totp.displayAt(59uL)
            assertEquals(CodeDisplay("94287082", totp.codeAt(60uL), 1uL, 30u), d)
            assertEquals(totp.codeAt(60uL), totp.nextCodeAt(59uL))
            assertEquals(30uL, totp.secondsRemaining(60uL))
            val now = System.currentTimeMillis().toULong() / 1000uL
            val current = totp.current_code_near(now)
            assertTrue(current.first == totp.currentCode() || current.second == totp.currentCode())
        }
    }

    private fun Totp.current_code_near(now: ULong) = Pair(codeAt(now), codeAt(now + 1uL))

    @Test
    fun generatedSecretsAreRandomBase32() {
        val a = generateSecret(20u)
        val b = generateSecret(20u)
        assertEquals(32, a.length)
        assertNotEquals(a, b)
        assertTrue(a.all { it in 'A'..'Z' || it in '2'..'7' })
        Totp(a).use { assertEquals(6, it.codeAt(0uL).length) }
    }

    @Test
    fun qrCodes() {
        val uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
        val svg = qrSvg(uri)
        assertTrue(svg.startsWith("<svg") || svg.startsWith("<?xml"), svg.take(40))
        val png = qrPng(uri)
        assertArrayEquals(byteArrayOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte()), png.copyOf(4))
        val big = qrPng(uri, QrOptions(scale = 16u, ecLevel = QrEcLevel.HIGH))
        assertTrue(big.size > png.size)
    }
}

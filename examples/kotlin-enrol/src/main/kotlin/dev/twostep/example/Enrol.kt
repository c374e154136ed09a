// The enrolment screen of an app, on the console: registers this machine as a TOTP device
// of a twostep-server user through the twostep SDK, over its java.net.http transport
// (dev.twostep.JavaNetTransport; the SDK calls it on the calling thread, never the UI thread).
package dev.twostep.example

import dev.twostep.DeviceRegistration
import dev.twostep.JavaNetTransport
import dev.twostep.TwostepException
import kotlin.system.exitProcess

const val USAGE = "usage: --server URL --user USER_ID --token USER_JWT [--name DEVICE_NAME]"

fun main(args: Array<String>) {
    val options = args.toList().chunked(2).associate { it[0] to it.getOrNull(1) }
    fun option(name: String) = options[name] ?: run { System.err.println(USAGE); exitProcess(2) }
    val server = option("--server")
    val user = option("--user")
    val token = option("--token")
    val name = options["--name"] ?: "kotlin-enrol on ${System.getProperty("os.name")}"

    try {
        DeviceRegistration(server, user, token, JavaNetTransport()).use { registration ->
            val pending = registration.begin(name)
            println("pending device ${pending.device.id} (${pending.device.name})")
            // A real app stores pending.otpauthUri in the platform's secure storage here.
            val confirmed = registration.confirmNow()
            println("active device ${confirmed.device.id}")
            if (confirmed.backupCodes.isEmpty()) {
                println("backup codes: none issued")
            } else {
                println("backup codes (shown once, keep them safe):")
                confirmed.backupCodes.forEach { println("  $it") }
            }
            pending.totp.use { totp ->
                val screen = totp.display()
                println("live codes (every ${screen.period} s):")
                println("  now  ${screen.code}  (${screen.secondsRemaining} s left)")
                println("  next ${screen.nextCode}")
            }
        }
    } catch (e: TwostepException.Locked) {
        System.err.println("locked: try again in ${e.retryAfterSeconds ?: "a few"} seconds")
        exitProcess(1)
    } catch (e: TwostepException) {
        System.err.println("enrolment failed: ${e.message}")
        exitProcess(1)
    }
}

package dev.twostep

import org.json.JSONArray
import org.json.JSONObject
import java.io.File

/** The shared test vectors of the core crate (core/tests/vectors), as the Rust tests read them. */
object Vectors {
    private val dir = File(System.getProperty("twostep.vectors") ?: error("twostep.vectors is not set"))

    fun load(name: String): JSONObject = JSONObject(File(dir, name).readText())

    fun cases(name: String): List<JSONObject> {
        val cases = load(name).getJSONArray("cases")
        return (0 until cases.length()).map { cases.getJSONObject(it) }
    }

    fun objects(array: JSONArray): List<JSONObject> = (0 until array.length()).map { array.getJSONObject(it) }
}

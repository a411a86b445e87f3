package io.emfileguard.it.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Map;

/**
 * What child processes answer in JSON (a Lambda handler's response, an EMF line), read with Jackson
 * into plain maps: objects become {@code Map<String,Object>}, arrays {@code List<Object>}; and the
 * numbers in them, by path, for assertions.
 */
public final class Json {
    /** Strict as a test must be: text after the object is an error, not ignored. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private Json() {
    }

    /** The JSON object {@code text}; {@link IllegalArgumentException} if it is malformed or no object. */
    public static Map<String, Object> object(String text) {
        Map<String, Object> object;
        try {
            object = MAPPER.readValue(text, OBJECT);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON object: " + text, e);
        }
        if (object == null) {
            throw new IllegalArgumentException("not a JSON object: " + text);
        }
        return object;
    }

    /** The number at {@code path} (keys of nested objects), as a long; fails if absent or not a number. */
    public static long number(Map<String, Object> object, String... path) {
        Object v = object;
        for (String key : path) {
            if (!(v instanceof Map)) {
                throw new AssertionError("no " + String.join(".", path) + " in " + object);
            }
            v = ((Map<?, ?>) v).get(key);
        }
        if (!(v instanceof Number)) {
            throw new AssertionError(String.join(".", path) + " is not a number (" + v + ") in " + object);
        }
        return ((Number) v).longValue();
    }
}

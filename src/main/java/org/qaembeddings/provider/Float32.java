package org.qaembeddings.provider;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Vectors as little-endian float32, 4 bytes a dimension: OpenAI's base64 answers, and the
 * database's vector columns, read back bit for bit.
 */
public final class Float32 {

    private Float32() {}

    public static byte[] encode(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(vector);
        return buffer.array();
    }

    /** @throws IllegalArgumentException when the length is not a whole number of float32 values */
    public static float[] decode(byte[] bytes) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalArgumentException(bytes.length + " bytes are not a whole number of float32 values");
        }
        float[] vector = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}

package org.qaembeddings.qa;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Not blank in the sense a reader means: at least one character that shows. Every Unicode space
 * and line separator, every format character (zero-width space and joiners, word joiner, byte
 * order mark, soft hyphen) and the fillers that render as nothing (Hangul fillers, the blank
 * Braille pattern) count as blank. {@code @NotBlank} only knows {@link Character#isWhitespace},
 * which lets a question of non-breaking spaces through.
 */
@Documented
@Constraint(validatedBy = Visible.Validator.class)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@interface Visible {

    String message() default "must not be blank (whitespace and invisible characters alone do not count)";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    final class Validator implements ConstraintValidator<Visible, String> {

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value != null && value.codePoints().anyMatch(c -> !invisible(c));
        }

        static boolean invisible(int c) {
            return Character.isWhitespace(c)
                    || Character.isSpaceChar(c)
                    || Character.getType(c) == Character.FORMAT
                    || Character.isISOControl(c)
                    || c == 0x115F
                    || c == 0x1160
                    || c == 0x3164
                    || c == 0xFFA0
                    || c == 0x2800;
        }
    }
}

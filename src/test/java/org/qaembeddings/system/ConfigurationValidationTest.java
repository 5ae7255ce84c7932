package org.qaembeddings.system;

import org.junit.jupiter.api.Test;
import org.qaembeddings.QaEmbeddingsApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A bad setting stops start-up with a message that names the property and its limit. */
class ConfigurationValidationTest {

    private static void start(String... args) {
        SpringApplication app = new SpringApplication(QaEmbeddingsApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        String[] all = new String[args.length + 2];
        all[0] = "--spring.datasource.url=jdbc:h2:mem:config_test;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
        all[1] = "--embedding.provider=openai";
        System.arraycopy(args, 0, all, 2, args.length);
        app.run(all).close();
    }

    @Test
    void batchSizeMustBe1To100() {
        assertThatThrownBy(() -> start("--embedding.batch-size=101"))
                .hasStackTraceContaining("embedding.batch-size must be 1..100, was 101");
        assertThatThrownBy(() -> start("--embedding.batch-size=0"))
                .hasStackTraceContaining("embedding.batch-size must be 1..100, was 0");
    }

    @Test
    void templateMustNameBothFields() {
        assertThatThrownBy(() -> start("--embedding.text-template=just {question}"))
                .hasStackTraceContaining("embedding.text-template must contain {question} and {answer}");
    }

    @Test
    void providerMustBeKnown() {
        assertThatThrownBy(() -> start("--embedding.provider=magic")).hasStackTraceContaining("embedding.provider");
    }

    @Test
    void openAiSettingsAreChecked() {
        assertThatThrownBy(() -> start("--embedding.openai.base-url=ftp://example"))
                .hasStackTraceContaining("embedding.openai.base-url must be an http(s) URL");
        assertThatThrownBy(() -> start("--embedding.openai.dimensions=0"))
                .hasStackTraceContaining("embedding.openai.dimensions must be 1..16384, was 0");
    }
}

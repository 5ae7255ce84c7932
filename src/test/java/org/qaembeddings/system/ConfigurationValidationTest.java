package org.qaembeddings.system;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.qaembeddings.QaEmbeddingsApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;

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

    @Test
    void retrySettingsAreChecked() {
        assertThatThrownBy(() -> start("--embedding.max-retries=0"))
                .hasStackTraceContaining("embedding.max-retries must be 1..100, was 0");
        assertThatThrownBy(() -> start("--embedding.retry.base-delay=10s", "--embedding.retry.max-delay=5s"))
                .hasStackTraceContaining(
                        "embedding.retry.max-delay must be at least embedding.retry.base-delay (PT10S), was PT5S");
    }

    @Test
    void recountDelayMustNotBeNegative() {
        assertThatThrownBy(() -> start("--embedding.recount-delay=-1s"))
                .hasStackTraceContaining("embedding.recount-delay must not be negative, was PT-1S");
    }

    @Test
    void costSettingsAreChecked() {
        assertThatThrownBy(() -> start("--embedding.cost.rates.my-model=-0.1"))
                .hasStackTraceContaining("embedding.cost.rates.my-model must be 0 or more, was -0.1");
        assertThatThrownBy(() -> start("--embedding.cost.budget.daily-usd=-1"))
                .hasStackTraceContaining("embedding.cost.budget.daily-usd must be 0 or more, was -1");
        assertThatThrownBy(() ->
                        start("--embedding.openai.max-input-tokens=500", "--embedding.openai.max-request-tokens=100"))
                .hasStackTraceContaining("embedding.openai.max-request-tokens must be at least "
                        + "embedding.openai.max-input-tokens (500), was 100");
    }

    @Test
    void healthSettingsAreChecked() {
        assertThatThrownBy(() -> start("--embedding.health.max-pending-age=0s"))
                .hasStackTraceContaining("embedding.health.max-pending-age must be at least 1s");
    }
}

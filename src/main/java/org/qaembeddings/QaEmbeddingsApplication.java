package org.qaembeddings;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class QaEmbeddingsApplication {

    public static void main(String[] args) {
        SpringApplication.run(QaEmbeddingsApplication.class, args);
    }
}

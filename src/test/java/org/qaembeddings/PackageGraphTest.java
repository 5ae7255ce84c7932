package org.qaembeddings;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The feature packages depend one way: {@code qa -> embedding -> provider, cost}; {@code search}
 * follows {@code embedding}'s change feed and calls through its gate; {@code health} reads
 * {@code embedding} and {@code cost}; {@code system} and {@code provider} depend on no package of
 * ours. No arrow points back and there is no cycle.
 */
class PackageGraphTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.qaembeddings");

    @Test
    void featurePackagesHaveNoCycle() {
        slices().matching("org.qaembeddings.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void noArrowPointsBack() {
        noClasses()
                .that()
                .resideInAPackage(ours("embedding"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(ours("qa"), ours("health"), ours("security"), ours("search"))
                .check(CLASSES);
        noClasses()
                .that()
                .resideInAnyPackage(ours("qa"), ours("health"))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(ours("search"))
                .check(CLASSES);
        noClasses()
                .that()
                .resideInAnyPackage(ours("provider"), ours("cost"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(ours("qa"), ours("embedding"), ours("health"), ours("security"), ours("search"))
                .check(CLASSES);
        noClasses()
                .that()
                .resideInAPackage(ours("provider"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(ours("cost"), ours("system"))
                .check(CLASSES);
        noClasses()
                .that()
                .resideInAPackage(ours("system"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        ours("qa"),
                        ours("embedding"),
                        ours("provider"),
                        ours("cost"),
                        ours("health"),
                        ours("security"),
                        ours("search"))
                .check(CLASSES);
    }

    /** The package pattern of one of our feature packages, sub-packages included. */
    private static String ours(String feature) {
        return "org.qaembeddings." + feature + "..";
    }
}

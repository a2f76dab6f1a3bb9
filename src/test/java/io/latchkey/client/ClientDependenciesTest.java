package io.latchkey.client;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/**
 * The client ships as its own jar: it may use the JDK, JSON-B/JSON-P, the JAX-RS and MicroProfile
 * Rest Client annotations of {@link LatchkeyApi} and MicroProfile Config's SPI, never a server class.
 */
class ClientDependenciesTest {
    private static final JavaClasses CLIENT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.latchkey.client");

    @Test
    void clientUsesNoServerClass() {
        classes().that().resideInAPackage("io.latchkey.client..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("io.latchkey.client..", "java..", "javax.net.ssl..", "jakarta.json..",
                        "jakarta.ws.rs..", "org.eclipse.microprofile.rest.client..", "org.eclipse.microprofile.config..")
                .check(CLIENT);
    }
}

package io.latchkey.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import io.helidon.microprofile.server.RoutingName;
import io.helidon.microprofile.server.RoutingPath;
import io.helidon.webserver.http.HttpService;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The client API ({@code /v1}) is JAX-RS only: its filters, exception mappers, role checks and
 * OpenAPI see every request. A Helidon SE {@link HttpService} registered in the container runs
 * before the JAX-RS application and would bypass all of them, so the only ones allowed serve
 * a named socket (the peer port), never the client port, and never under {@code /v1}.
 */
@Tag("api")
class ClientApiIsJaxRsTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.latchkey");

    private static final DescribedPredicate<JavaClass> ROUTED_ON_V1 = new DescribedPredicate<>("routed under /v1 or /") {
        @Override
        public boolean test(JavaClass type) {
            return type.tryGetAnnotationOfType(RoutingPath.class)
                    .map(p -> p.value().equals("/") || p.value().startsWith("/v1"))
                    .orElse(false);
        }
    };

    @Test
    void seServicesInTheContainerServeOnlyANamedSocket() {
        classes().that().implement(HttpService.class).and().areAnnotatedWith(RoutingPath.class)
                .should().beAnnotatedWith(RoutingName.class)
                .check(MAIN);
    }

    @Test
    void noSeServiceIsRoutedUnderV1() {
        noClasses().that().implement(HttpService.class).should(ArchConditions.be(ROUTED_ON_V1)).check(MAIN);
    }

    @Test
    void theApiPackageHasNoSeService() {
        noClasses().that().resideInAPackage("io.latchkey.api..").should().implement(HttpService.class).check(MAIN);
    }
}

package io.latchkey.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.latchkey.node.SnapshotImage;
import io.latchkey.node.StateMachine;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The state machine is deterministic only if it cannot reach a clock, a socket or a database. */
@Tag("state")
class StateDependenciesTest {
    private static final JavaClasses STATE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.latchkey.state");

    @Test
    void stateMachineImportsOnlyTheJdkProtobufAndItsPort() {
        classes().that().resideInAPackage("io.latchkey.state")
                .should().onlyDependOnClassesThat(resideInAnyPackage("io.latchkey.state..", "java.lang..", "java.util..",
                        "java.io..", "java.nio.charset..", "com.google.protobuf..")
                        .or(equivalentTo(StateMachine.class)).or(equivalentTo(SnapshotImage.class))
                        // SHA-256 of backups and request fingerprints: a pure function of its input.
                        .or(equivalentTo(java.security.MessageDigest.class))
                        .or(equivalentTo(java.security.NoSuchAlgorithmException.class)))
                .check(STATE);
    }

    @Test
    void stateMachineReadsNoClock() {
        noClasses().that().resideInAPackage("io.latchkey.state..")
                .should().dependOnClassesThat(resideInAnyPackage("java.time..")
                        .or(equivalentTo(System.class)).or(equivalentTo(Thread.class)))
                .check(STATE);
    }
}

package io.latchkey.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/** The Raft core stays a pure library: the JDK and protobuf-java, nothing else. */
class RaftCoreDependenciesTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.latchkey.raft");

    @Test
    void raftCoreImportsOnlyTheJdkAndProtobuf() {
        classes().that().resideInAPackage("io.latchkey.raft..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("io.latchkey.raft..", "java..", "com.google.protobuf..")
                .check(CORE);
    }
}

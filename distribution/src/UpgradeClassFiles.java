import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the pre-Java-6 class files of a jar as Java 8 class files, in place, before the jar is
 * linked into the image. Run at build time by assemble.sh: {@code java UpgradeClassFiles.java JAR}.
 *
 * <p>Why: the JVM's ahead-of-time cache cannot hold classes older than version 50 (they have no
 * stack maps and go through the old inferring verifier at every start). picocli is compiled for
 * Java 5, so every CLI start paid to load and verify its 200-odd classes again. The code of every
 * method is re-emitted unchanged, with stack maps computed by the JDK's class-file API; nothing
 * else in the class changes.
 */
public final class UpgradeClassFiles {

    private static final int TARGET_MAJOR = 52;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java UpgradeClassFiles.java JAR");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".upgrading");
        int upgraded = 0;
        try (URLClassLoader own = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             ZipFile in = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
            // Stack maps need the class hierarchy: the JDK's classes, then the jar's own.
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(own))));
            ClassTransform version = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(TARGET_MAJOR, 0);
                } else {
                    builder.with(element);
                }
            };
            ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL).andThen(version);
            for (ZipEntry e : Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < 50) {
                        bytes = cf.transformClass(model, upgrade);
                        upgraded++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("upgraded " + upgraded + " class files of " + jar.getFileName() + " to version " + TARGET_MAJOR);
    }
}

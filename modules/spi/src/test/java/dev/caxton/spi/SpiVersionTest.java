package dev.caxton.spi;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class SpiVersionTest {

    @Test
    void currentIsMajorDotMinor() {
        assertThat(SpiVersion.CURRENT).matches("\\d+\\.\\d+");
        assertThat(SpiVersion.major() + "." + SpiVersion.minor()).isEqualTo(SpiVersion.CURRENT);
    }

    @Test
    void agreesWithTheParentPom() throws Exception {
        // The plugins' declared range is derived from this property; the two must never drift apart.
        Path pom = Path.of("../../pom.xml");
        Matcher m = Pattern.compile("<caxton\\.spi\\.version>([^<]+)</caxton\\.spi\\.version>")
                .matcher(Files.readString(pom));
        assertThat(m.find()).as("caxton.spi.version property in %s", pom.toAbsolutePath()).isTrue();
        assertThat(m.group(1)).isEqualTo(SpiVersion.CURRENT);
    }
}

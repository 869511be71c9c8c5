package io.umqtt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.FreePort;

/**
 * What an operator sees: headless Chromium renders the web console's configuration page of a
 * robust connection created through the console (and connected to a mosquitto started here), and
 * the form for a new simple connection. The console draws the Metatype form with JavaScript after
 * the page has loaded, so the test checks the DOM as the scripts left it (field labels and values
 * of our OCDs, not a login or error page) and that the screenshot of the same page load is a real
 * picture. The screenshots stay in {@code target/screenshots/}.
 * <p>
 * Chromium logs in with the console's shipped credentials, taken from the address
 * ({@code http://admin:admin@127.0.0.1:port/...}): it answers the basic-auth challenge of the page
 * with them and reuses them for the page's scripts and its request for the form's data. The
 * gateway runs exactly as shipped.
 */
class WebConsoleScreenshotIT {
    private static final int WIDTH = 1280;
    /** Tall enough for the whole robust form (about 30 fields) and its buttons. */
    private static final int ROBUST_HEIGHT = 2400;
    private static final int SIMPLE_HEIGHT = 1400;
    /** A picture of the form has hundreds of colours (text anti-aliasing, icons, the logo). */
    private static final int MIN_COLOURS = 64;
    /** The form covers much of the window; a blank or nearly blank page does not. */
    private static final double MIN_NON_BACKGROUND = 0.15;

    @TempDir
    Path dir;

    private GatewayProcess gateway;
    private MosquittoBroker broker;

    @AfterEach
    void stop() throws InterruptedException {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void theConsoleDrawsTheMetatypeFormsOfBothClientComponents() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require(dir.resolve("chromium"));
        System.out.println("screenshots with " + chromium.version());
        Path screenshots = Paths.get(System.getProperty("umqtt.screenshots.dir", "target/screenshots"));

        broker = MosquittoBroker.start();
        gateway = new GatewayProcess(dir.resolve("gateway"), FreePort.pick(), Map.of());
        gateway.start();
        gateway.awaitConsole();

        Map<String, String> config = new LinkedHashMap<>();
        config.put("name", "it-screenshot");
        config.put("server", broker.host());
        config.put("port", Integer.toString(broker.port()));
        config.put("client.id", "gateway-screenshot");
        HttpResponse<String> created = gateway.createFactoryConfiguration("io.umqtt.robust", config);
        assertEquals(302, created.statusCode(), () -> "configMgr POST: " + created.body());
        String location = created.headers().firstValue("Location").orElse("");
        Matcher pidInLocation = Pattern.compile("/system/console/configMgr/(io\\.umqtt\\.robust\\.[^/?#]+)$").matcher(location);
        assertTrue(pidInLocation.find(), () -> "redirect to the new PID, got " + location);
        String pid = pidInLocation.group(1);
        gateway.awaitConnected("it-screenshot");

        long started = System.nanoTime();
        // the page the console redirected to: it opens the form of that configuration
        HeadlessChromium.Rendering robust = render(chromium, "/system/console/configMgr/" + pid, ROBUST_HEIGHT,
                screenshots.resolve("webconsole-robust-connection.png"));
        assertForm(robust, "umqtt robust MQTT connection",
                // labels of RobustConnectionConfig: the simple client's, then the robust client's own
                List.of("Connection name", "Broker host", "Broker port", "Client identifier", "Keepalive (s)",
                        "Use TLS", "First reconnect delay (ms)", "Maximum reconnect delay (ms)",
                        "Offline queue size (messages)", "When the offline queue is full", "Failover servers"),
                // the values configured above, and a default the form filled in
                Map.of("name", "it-screenshot", "server", broker.host(), "port", Integer.toString(broker.port()),
                        "client.id", "gateway-screenshot", "keepalive", "60"));
        assertTrue(robust.dom.contains(">" + pid + "</td>"), "the form names the configuration's PID " + pid);

        // the "+" of the factory io.umqtt.simple: the form for a new configuration, with the defaults
        HeadlessChromium.Rendering simple = render(chromium, "/system/console/configMgr/io.umqtt.simple?factoryCreate=true",
                SIMPLE_HEIGHT, screenshots.resolve("webconsole-simple-factory.png"));
        assertForm(simple, "umqtt simple MQTT connection",
                List.of("Connection name", "Broker host", "Broker port", "Client identifier", "Keepalive (s)",
                        "Use TLS", "Last will topic"),
                Map.of("name", "", "server", "localhost", "port", "0", "keepalive", "60"));
        assertTrue(simple.dom.contains(">io.umqtt.simple</td>"), "the form names the factory PID io.umqtt.simple");
        assertFalse(simple.dom.contains(">First reconnect delay (ms)<"), "the simple client's form has no reconnect fields");

        System.out.printf("webconsole screenshots in %d ms: %s, %s%n", (System.nanoTime() - started) / 1_000_000,
                robust.screenshot.toAbsolutePath(), simple.screenshot.toAbsolutePath());
    }

    private HeadlessChromium.Rendering render(HeadlessChromium chromium, String path, int height, Path png)
            throws Exception {
        URI url = gateway.uriWithCredentials(path);
        HeadlessChromium.Rendering r = chromium.render(url, WIDTH, height, png);
        assertEquals(0, r.exitCode, () -> "chromium exit code on " + path + "; its log:\n" + r.log);
        assertPicture(r.screenshot, WIDTH, height);
        return r;
    }

    /** The dialog with the OCD's name as title, the labels of its fields and these fields' values. */
    private static void assertForm(HeadlessChromium.Rendering r, String title, List<String> labels,
            Map<String, String> values) {
        String dom = r.dom;
        assertTrue(dom.contains("class=\"ui-dialog-title\">" + title + "<"),
                () -> "no form dialog titled '" + title + "' (a login or error page?); the DOM:\n" + dom);
        for (String label : labels) {
            assertTrue(dom.contains(">" + label + "</td>"), () -> "no field labelled '" + label + "' in the DOM:\n" + dom);
        }
        values.forEach((name, value) -> {
            Matcher m = Pattern.compile("<textarea name=\"" + Pattern.quote(name) + "\"[^>]*>([^<]*)</textarea>").matcher(dom);
            assertTrue(m.find(), () -> "no text field " + name + " in the DOM:\n" + dom);
            assertEquals(value, m.group(1), "value of field " + name);
        });
    }

    /** A PNG of that size that shows something: many colours, and much of it not the background. */
    private static void assertPicture(Path png, int width, int height) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, () -> png + " is not an image ImageIO can read");
        assertEquals(width + "x" + height, image.getWidth() + "x" + image.getHeight(), () -> "size of " + png);
        Map<Integer, Integer> histogram = new HashMap<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                histogram.merge(image.getRGB(x, y), 1, Integer::sum);
            }
        }
        int background = histogram.values().stream().max(Integer::compare).orElse(0);
        double nonBackground = 1.0 - (double) background / ((long) width * height);
        assertTrue(histogram.size() >= MIN_COLOURS && nonBackground >= MIN_NON_BACKGROUND,
                () -> png + " looks blank: " + histogram.size() + " colours, " + Math.round(nonBackground * 100)
                        + "% not the background colour (want at least " + MIN_COLOURS + " and "
                        + Math.round(MIN_NON_BACKGROUND * 100) + "%)");
    }
}

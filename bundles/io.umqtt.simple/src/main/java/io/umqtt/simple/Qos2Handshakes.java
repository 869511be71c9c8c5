package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.BitSet;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.internal.codec.ShortPackets;

/**
 * The reader's steps of the QoS 2 handshakes (see docs/qos2.md). Sending: a PUBREC read for our
 * publish is answered with PUBREL once the client recorded the step ({@link #release},
 * {@link MqttClient#beforePubrel}). Receiving: the packet ids of QoS 2 PUBLISHes received whose
 * PUBREL has not come, so that each is delivered once ({@link #firstReceipt}); a PUBREL is
 * answered with PUBCOMP ({@link #released}). That receiving state is the session's: it is kept
 * across connections of this client object while the broker keeps the session (CONNACK session
 * present), and cleared when it does not ({@link #connected}).
 * <p>
 * Threading: owned by the thread holding the reader role, like {@link Inbound}; no lock of its own
 * ({@link #forgetReceived} is called while connecting, when no reader runs). The ack table takes
 * the client's lock for a PUBREC; PUBREL and PUBCOMP are written through {@link Outbound}.
 */
final class Qos2Handshakes {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    private final MqttClient client;
    /** The QoS 2 packet ids received awaiting PUBREL; allocated with the first QoS 2 message. */
    private BitSet awaitingRelease;

    Qos2Handshakes(MqttClient client) {
        this.client = client;
    }

    /**
     * Our QoS 2 PUBLISH {@code id} was received by the broker (PUBREC): lets the client record the
     * step ({@link MqttClient#beforePubrel}, the robust client's durable queue), then answers
     * PUBREL (in the order the PUBRECs arrive, MQTT-4.6.0-4). A PUBREC nothing awaits is answered
     * too, so that the broker releases the packet id.
     */
    void release(int id) throws IOException {
        Pending p = client.acks.pubrec(id);
        if (client.state != ConnectionState.CONNECTED) {
            return; // lost meanwhile: the flow (its PUBREC seen) resumes at PUBREL on the next connection of the session
        }
        if (p != null && !p.abandoned) {
            try {
                client.beforePubrel(p);
            } catch (IOException | RuntimeException e) {
                // the step could not be recorded: no PUBREL now; the robust client records it before it resumes
                throw client.fail(new IOException("MQTT client " + client.settings.clientId + " on "
                        + client.settings.broker() + ": could not record the PUBREC of packet id " + id
                        + " before its PUBREL: " + e, e));
            }
        }
        client.outbound.writeAck(ShortPackets.PUBREL, id, false);
    }

    /**
     * The broker released a QoS 2 PUBLISH it sent us (PUBREL): the packet id may be delivered again
     * as a new message; answers PUBCOMP, also for an id not awaiting PUBREL (section 4.3.3: the
     * receiver responds to every PUBREL, e.g. one resent after a reconnect whose PUBCOMP was lost).
     */
    void released(int id) throws IOException {
        if (awaitingRelease == null || !awaitingRelease.get(id)) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + client.settings.clientId + ": PUBREL for packet id " + id
                    + ", which awaits no PUBREL; answering PUBCOMP");
        } else {
            awaitingRelease.clear(id);
            if (Session5.v5(client)) {
                client.session5.acknowledged(); // its PUBCOMP follows: out of the Receive Maximum
            }
        }
        if (client.state == ConnectionState.CONNECTED) {
            client.outbound.writeAck(ShortPackets.PUBCOMP, id, false);
        }
    }

    /**
     * Records that the QoS 2 PUBLISH {@code id} was received; false when it already was and its
     * PUBREL has not come yet: then it is a duplicate (the broker resends it, with DUP, until it
     * has our PUBREC; MQTT-4.3.3-2), acknowledged again but not delivered again.
     */
    boolean firstReceipt(int id) {
        if (awaitingRelease == null) {
            awaitingRelease = new BitSet();
        }
        if (awaitingRelease.get(id)) {
            return false;
        }
        awaitingRelease.set(id);
        return true;
    }

    /**
     * The CONNACK was read: without a session present the broker resends none of the old QoS 2
     * messages, so none awaits PUBREL any more. MQTT 5: those still awaiting it count against the
     * Receive Maximum until their PUBCOMP.
     */
    void connected(boolean sessionPresent) {
        if (!sessionPresent && awaitingRelease != null) {
            awaitingRelease.clear();
        }
        if (Session5.v5(client)) {
            client.session5.inboundInFlight.set(awaitingReleaseCount());
        }
    }

    /**
     * Forgets QoS 2 packet ids received on the previous connection whose PUBREC was never written
     * (acknowledging after processing: their processing failed or had not finished), so that the
     * broker's resend in the kept session is delivered again instead of taken for a duplicate.
     * Called while no reader runs (connecting).
     */
    void forgetReceived(int[] ids) {
        if (awaitingRelease != null) {
            for (int id : ids) {
                awaitingRelease.clear(id);
            }
        }
    }

    /** The QoS 2 packet ids received and awaiting PUBREL. */
    int awaitingReleaseCount() {
        return awaitingRelease == null ? 0 : awaitingRelease.cardinality();
    }
}

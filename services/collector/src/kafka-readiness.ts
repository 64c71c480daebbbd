import type { TouchpointPublisher } from './publisher.ts';

/** Whether the collector can get events acknowledged by Kafka now; what `/health/ready` reports. */
export interface KafkaReadiness {
  isReady(): boolean;
  /** The publisher, reporting each outcome: a failed publish makes the collector not ready at once. */
  observe(publisher: TouchpointPublisher): TouchpointPublisher;
  close(): void;
}

/**
 * The latest evidence wins: each publish outcome, and a cheap probe (a metadata request) every
 * `intervalMs` that fails when no answer comes within `timeoutMs`. The probe is what notices an outage
 * while no events arrive, and what notices the recovery once a load balancer has stopped sending any.
 * kafkajs' producer keeps saying "connected" while its broker is gone, so its events cannot tell.
 */
export function createKafkaReadiness(options: {
  probe: () => Promise<unknown>;
  intervalMs: number;
  timeoutMs: number;
}): KafkaReadiness {
  let ready = true;
  let probing = false;
  const runProbe = async () => {
    if (probing) return;
    probing = true;
    const late = setTimeout(() => {
      ready = false;
    }, options.timeoutMs);
    try {
      await options.probe();
      ready = true;
    } catch {
      ready = false;
    } finally {
      clearTimeout(late);
      probing = false;
    }
  };
  const timer = setInterval(() => void runProbe(), options.intervalMs);
  timer.unref();
  return {
    isReady: () => ready,
    observe: (publisher) => ({
      async publish(touchpoints) {
        if (touchpoints.length === 0) return;
        try {
          await publisher.publish(touchpoints);
          ready = true;
        } catch (error) {
          ready = false;
          throw error;
        }
      },
    }),
    close: () => clearInterval(timer),
  };
}

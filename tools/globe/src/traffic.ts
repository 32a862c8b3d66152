import { readControl } from '@kubeonazure/region-sim/control-file';
import { drainedRegions, setDrained } from '@kubeonazure/region-sim/haproxy';
import type { GlobeConfig } from './config.js';
import { EXIT_FAILED, GlobeError } from './errors.js';
import { lines, type Tool } from './tool.js';

/**
 * What sends visitors to the regions, where `drain` takes one out of rotation: Azure Traffic Manager
 * (through az), or the simulation's HAProxy (through its runtime API, `--sim`).
 */
export interface Traffic {
  /** For messages, e.g. `Traffic Manager profile kubeonazure`. */
  readonly name: string;
  /** The regions out of rotation now; health gates skip them. */
  drainedRegions(): Promise<string[]>;
  /** Takes the region out of rotation (`drained`) or puts it back (the caller has read that it is not so yet). */
  setDrained(region: string, drained: boolean): Promise<void>;
}

/**
 * Traffic Manager: the profile `deploy/azure/create-backing-services.sh` makes, one external endpoint per
 * region named after it. A drained region's endpoint is Disabled: Traffic Manager leaves it out of its
 * DNS answers and stops probing it. Every az call costs about a second: one list reads every endpoint.
 */
export class TrafficManager implements Traffic {
  readonly name: string;

  constructor(
    private readonly settings: GlobeConfig['trafficManager'],
    private readonly az: Tool,
  ) {
    this.name = `Traffic Manager profile ${settings.profile} (resource group ${settings.resourceGroup})`;
  }

  async drainedRegions(): Promise<string[]> {
    const { profile, resourceGroup } = this.settings;
    const names = await this.az.run(
      [
        ...['network', 'traffic-manager', 'endpoint', 'list', '--profile-name', profile],
        ...['--resource-group', resourceGroup, '--type', 'externalEndpoints'],
        ...['--query', "[?endpointStatus=='Disabled'].name", '--output', 'tsv'],
      ],
      { readOnly: true },
    );
    return lines(names);
  }

  async setDrained(region: string, drained: boolean): Promise<void> {
    await this.az.run([
      ...['network', 'traffic-manager', 'endpoint', 'update', '--name', region],
      ...['--profile-name', this.settings.profile, '--resource-group', this.settings.resourceGroup],
      ...['--type', 'externalEndpoints', '--endpoint-status', drained ? 'Disabled' : 'Enabled', '--output', 'none'],
    ]);
  }
}

/** The running simulation's HAProxy (`npm run regions`), found through its control file. */
export class SimulatedTraffic implements Traffic {
  readonly name: string;

  private constructor(private readonly socket: string) {
    this.name = `the simulation's HAProxy (${socket})`;
  }

  static async find(): Promise<SimulatedTraffic> {
    const control = await readControl();
    if (control === null) throw new GlobeError('--sim: no region set is running (start one with npm run regions)');
    return new SimulatedTraffic(control.haproxySocket);
  }

  drainedRegions(): Promise<string[]> {
    return failed(drainedRegions(this.socket));
  }

  async setDrained(region: string, drained: boolean): Promise<void> {
    await failed(setDrained(this.socket, region, drained));
  }
}

/** Traffic Manager, or with `sim` the running simulation's HAProxy. */
export async function trafficFor(config: GlobeConfig, sim: boolean, az: Tool): Promise<Traffic> {
  return sim ? SimulatedTraffic.find() : new TrafficManager(config.trafficManager, az);
}

/** HAProxy's errors as a failed operation (exit 1), as az's are. */
async function failed<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new GlobeError(error instanceof Error ? error.message : String(error), EXIT_FAILED);
  }
}

import { type ArmResource, AzSession, FakeAzure, isReadAction, type RecordedRequest } from '@kubeonazure/fake-azure';
import { REGIONS } from '@kubeonazure/regions';

/**
 * The Traffic Manager profile `deploy/azure/create-backing-services.sh` makes (the names globe.config.json
 * gives), in an Azure Resource Manager stand-in, with the real az logged in to it: every region's
 * endpoint Enabled.
 */
export class TrafficManagerStandIn {
  private constructor(
    readonly azure: FakeAzure,
    readonly az: AzSession,
  ) {}

  static async start(): Promise<TrafficManagerStandIn> {
    const azure = await FakeAzure.start();
    const standIn = new TrafficManagerStandIn(azure, await AzSession.login(azure));
    azure.put(standIn.group, { location: REGIONS[0]!.name });
    azure.put(standIn.profile, {
      location: 'global',
      properties: {
        trafficRoutingMethod: 'Performance',
        dnsConfig: { relativeName: 'kubeonazure', ttl: 30 },
        monitorConfig: { protocol: 'HTTP', port: 80, path: '/healthz' },
      },
    });
    for (const region of REGIONS) standIn.setStatus(region.name, 'Enabled');
    return standIn;
  }

  get group(): string {
    return `/subscriptions/${this.azure.subscriptionId}/resourceGroups/kubeonazure-backing`;
  }

  get profile(): string {
    return `${this.group}/providers/Microsoft.Network/trafficmanagerprofiles/kubeonazure`;
  }

  endpointId(region: string): string {
    return `${this.profile}/externalEndpoints/${region}`;
  }

  endpoint(region: string): ArmResource | undefined {
    return this.azure.resource(this.endpointId(region));
  }

  /** Sets an endpoint's status as if someone had (a state a test starts from). */
  setStatus(region: string, endpointStatus: 'Enabled' | 'Disabled'): void {
    this.azure.put(this.endpointId(region), {
      properties: {
        target: `kubeonazure-${region}.${region}.cloudapp.azure.com`,
        endpointLocation: region,
        endpointStatus,
      },
    });
  }

  /** The writes (PUT, PATCH, DELETE, POSTs but list actions) among the requests since `from`. */
  writesSince(from: number): RecordedRequest[] {
    return this.azure.requests.slice(from).filter((request) => request.method !== 'GET' && !isReadAction(request));
  }

  async close(): Promise<void> {
    this.az.close();
    await this.azure.close();
  }
}

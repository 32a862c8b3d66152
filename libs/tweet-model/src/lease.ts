import type { Collection } from 'mongodb';
import { z } from 'zod';

// The ingest lease's stored document: every region runs a streamer, and only the holder of this one
// document streams. The streamer claims and renews it (apps/streamer/src/lease); the region simulation
// reads who holds it.

/** The collection the lease lives in, unless configured otherwise (`LEASE_COLLECTION`). */
export const DEFAULT_LEASE_COLLECTION = 'leases';

/** The one lease document's `_id`: the ingest of the app's X stream. */
export const LEASE_NAME = 'ingest';

/** A write-region streamer waiting for the lease (set by it while refused, fresh until `until`). */
export const leaseCandidateSchema = z.object({
  holder: z.string(),
  region: z.string().nullable(),
  until: z.date(),
});

export type LeaseCandidate = z.infer<typeof leaseCandidateSchema>;

export const leaseDocumentSchema = z.object({
  _id: z.string(),
  /** Who holds it: unique per streamer process. */
  holder: z.string(),
  /** The holder's region (`westus`), null when it runs without one. */
  region: z.string().nullable(),
  /** Claim time + ttl; anyone may claim it from then on. */
  expiresAt: z.date(),
  renewedAt: z.date(),
  /** The write region (display name) the claim was written under; null on a single server. */
  primary: z.string().nullable().optional(),
  candidate: leaseCandidateSchema.optional(),
});

export type LeaseDocument = z.infer<typeof leaseDocumentSchema>;

/** The lease as stored, or null when nobody has claimed it yet or the document is not a lease. */
export async function readLease(
  collection: Collection<LeaseDocument>,
  options: { name?: string; maxTimeMS?: number } = {},
): Promise<LeaseDocument | null> {
  const found = await collection.findOne({ _id: options.name ?? LEASE_NAME }, { maxTimeMS: options.maxTimeMS });
  const parsed = leaseDocumentSchema.safeParse(found);
  return parsed.success ? parsed.data : null;
}

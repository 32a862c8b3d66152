/** Where an Azure region's datacentres are, as `az account list-locations` gives it. */
export interface Coordinates {
  latitude: number;
  longitude: number;
}

const EARTH_RADIUS_KM = 6371;
/** Light in fibre covers about 200 km per millisecond. */
const FIBRE_KM_PER_MS = 200;
/** Cables do not follow great circles: real paths run about half again as long. */
const ROUTE_STRETCH = 1.5;

const radians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance (haversine), in km. */
export function greatCircleKm(a: Coordinates, b: Coordinates): number {
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

/**
 * An estimate of the round-trip time between two places: there and back along a path 1.5× the great
 * circle, at the speed of light in fibre. West US–UK South gives 129 ms, UK South–Southeast Asia
 * 164 ms, West US–Southeast Asia 204 ms; Azure's published figures are 135-170 ms. Only the order
 * matters here: Performance routing ranks regions by it.
 */
export function roundTripMs(a: Coordinates, b: Coordinates): number {
  return (2 * greatCircleKm(a, b) * ROUTE_STRETCH) / FIBRE_KM_PER_MS;
}

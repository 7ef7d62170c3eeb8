/** The time source of the use-cases (tests may fix it). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

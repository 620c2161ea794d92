import { seededRandom, type Random } from '../random.ts';
import type { OrderInput } from './order-schema.ts';

/** What an order generator needs of a movie. */
export interface SampleMovie {
  id: number;
  priceCents: number;
}

export interface SampleOptions {
  /** Same seed, same orders (and the same PaymentTransactionIds: a re-run sends duplicates). */
  seed: number;
  movies: readonly SampleMovie[];
  /** Order dates are spread evenly over [from, to); without `from`, each order is dated `now()`. */
  from?: Date;
  to?: Date;
  now?: () => Date;
}

const regions: [region: string, city: string, state: string, zip: string][] = [
  ['Northeast', 'Boston', 'MA', '021'], ['Northeast', 'Hartford', 'CT', '061'], ['Northeast', 'Albany', 'NY', '122'], ['Northeast', 'Portland', 'ME', '041'],
  ['Southeast', 'Atlanta', 'GA', '303'], ['Southeast', 'Charlotte', 'NC', '282'], ['Southeast', 'Miami', 'FL', '331'], ['Southeast', 'Nashville', 'TN', '372'],
  ['Midwest', 'Chicago', 'IL', '606'], ['Midwest', 'Columbus', 'OH', '432'], ['Midwest', 'Madison', 'WI', '537'], ['Midwest', 'Omaha', 'NE', '681'],
  ['Southwest', 'Phoenix', 'AZ', '850'], ['Southwest', 'Austin', 'TX', '787'], ['Southwest', 'Santa Fe', 'NM', '875'], ['Southwest', 'Tulsa', 'OK', '741'],
  ['West', 'Seattle', 'WA', '981'], ['West', 'Denver', 'CO', '802'], ['West', 'Sacramento', 'CA', '958'], ['West', 'Boise', 'ID', '837'],
];
const firstNames = ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'Lucas', 'Mia', 'Mateo', 'Amelia', 'Ethan', 'Harper', 'Aiden', 'Priya', 'Kenji', 'Fatima', 'Diego', 'Chloe', 'Malik', 'Grace', 'Omar'];
const lastNames = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Nguyen', 'Patel', 'Kim', 'Okafor', 'Silva', 'Cohen', 'Walker', 'Young', 'Allen', 'Wright'];
const streets = ['Maple', 'Oak', 'Pine', 'Cedar', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'Sunset', 'River', 'Church', 'Highland', 'Mill'];
const suffixes = ['St', 'Ave', 'Rd', 'Blvd', 'Ln', 'Dr', 'Ct'];

const hex = (random: Random, length: number) => Array.from({ length }, () => random.int(0, 15).toString(16)).join('');

/** A UUID-shaped id from the generator (not a real UUID version: just unique per seed). */
export const sampleTransactionId = (random: Random) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

/**
 * Orders shaped like the shop's (seed 004), for the order generator and tests.
 * Some movies sell far more than others (a skewed pick), so "top 10" means something.
 */
export function* sampleOrders(options: SampleOptions): Generator<OrderInput> {
  if (options.movies.length === 0) throw new Error('sample orders need at least one movie');
  const random = seededRandom(options.seed);
  // A seed-chosen popularity order: index 0 sells most.
  const popularity = shuffled(options.movies, seededRandom(options.seed ^ 0x5bd1e995));
  const now = options.now ?? (() => new Date());
  const from = options.from?.getTime();
  const to = (options.to ?? now()).getTime();
  for (;;) {
    const date = from === undefined ? now() : new Date(from + random.next() * Math.max(0, to - from));
    yield sampleOrder(random, popularity, date);
  }
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** One order dated `date`, from movies ordered by popularity. */
export function sampleOrder(random: Random, movies: readonly SampleMovie[], date: Date): OrderInput {
  const [region, city, state, zip] = random.pick(regions);
  const first = random.pick(firstNames);
  const last = random.pick(lastNames);
  const email = `${first}.${last}${random.int(1, 999)}@example.com`.toLowerCase();
  const lines = random.weighted([1, 2, 3, 4], [60, 25, 10, 5]);
  const details = Array.from({ length: lines }, () => {
    const movie = movies[Math.floor(movies.length * random.next() ** 2.5)]!;
    return { Email: email, ProductId: movie.id, Quantity: random.weighted([1, 2, 3], [80, 15, 5]), UnitPrice: movie.priceCents / 100 };
  });
  const totalCents = details.reduce((sum, d) => sum + d.Quantity * Math.round(d.UnitPrice * 100), 0);
  const smsOptIn = random.chance(0.3);
  const id = sampleTransactionId(random);
  return {
    Region: region,
    OrderDate: date.toISOString(),
    FirstName: first,
    LastName: last,
    Address: `${random.int(1, 9999)} ${random.pick(streets)} ${random.pick(suffixes)}`,
    City: city,
    State: state,
    PostalCode: `${zip}${String(random.int(0, 99)).padStart(2, '0')}`,
    Country: 'United States',
    Phone: `555-${String(random.int(100, 999))}-${String(random.int(0, 9999)).padStart(4, '0')}`,
    SMSOptIn: smsOptIn,
    ...(smsOptIn ? { SMSStatus: random.pick(['Subscribed', 'Pending']) } : {}),
    Email: email,
    ReceiptUrl: `https://receipts.example.com/${id}`,
    Total: totalCents / 100,
    PaymentTransactionId: id,
    HasBeenShipped: false,
    Details: details,
  };
}

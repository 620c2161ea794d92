/**
 * The reports recomputed the plain way: every event in a list, no views, no
 * increments kept between events, no leaderboard. The integration tests hold each
 * view up against these.
 */
import type { FeedEntry } from '@eventloom/core';
import type { AlertRules } from '../src/config.ts';

interface Order {
  OrderDate: string;
  TotalCents: number;
  Details: { ProductId: number; Quantity: number; UnitPriceCents: number; CategoryId: number }[];
}

export interface Totals {
  orders: number;
  revenueCents: number;
  quantity: number;
}

const add = (map: Map<string | number, Totals>, key: string | number, orders: number, revenueCents: number, quantity: number) => {
  const t = map.get(key) ?? { orders: 0, revenueCents: 0, quantity: 0 };
  map.set(key, { orders: t.orders + orders, revenueCents: t.revenueCents + revenueCents, quantity: t.quantity + quantity });
};

export function orderReports(feed: FeedEntry[]) {
  const hours = new Map<string | number, Totals>();
  const days = new Map<string | number, Totals>();
  const movies = new Map<string | number, Totals>();
  const categories = new Map<string | number, Totals>();
  const titles = new Map<number, string>();
  const categoryNames = new Map<number, string>();
  for (const entry of feed) {
    if (entry.type === 'MovieListed') titles.set((entry.data as { movieId: number }).movieId, (entry.data as { title: string }).title);
    if (entry.type === 'CategoryCreated' || entry.type === 'CategoryRenamed') {
      const { categoryId, name } = entry.data as { categoryId: number; name: string };
      categoryNames.set(categoryId, name);
    }
    if (entry.type !== 'OrderPlaced') continue;
    const order = entry.data as Order;
    const placed = new Date(order.OrderDate).toISOString();
    const quantity = order.Details.reduce((sum, d) => sum + d.Quantity, 0);
    add(hours, placed.slice(0, 13), 1, order.TotalCents, quantity);
    add(days, placed.slice(0, 10), 1, order.TotalCents, quantity);
    for (const id of new Set(order.Details.map((d) => d.ProductId))) {
      const lines = order.Details.filter((d) => d.ProductId === id);
      add(movies, id, 1, lines.reduce((s, d) => s + d.Quantity * d.UnitPriceCents, 0), lines.reduce((s, d) => s + d.Quantity, 0));
    }
    for (const id of new Set(order.Details.map((d) => d.CategoryId))) {
      const lines = order.Details.filter((d) => d.CategoryId === id);
      add(categories, id, 1, lines.reduce((s, d) => s + d.Quantity * d.UnitPriceCents, 0), lines.reduce((s, d) => s + d.Quantity, 0));
    }
  }
  const ranked = [...movies].map(([movieId, t]) => ({ movieId: Number(movieId), ...t })).sort((a, b) => b.quantity - a.quantity || a.movieId - b.movieId);
  return {
    hours,
    days,
    topMovies: (limit: number) =>
      ranked.slice(0, limit).map((m, i) => ({ rank: i + 1, movieId: m.movieId, title: titles.get(m.movieId) ?? `Movie ${m.movieId}`, quantity: m.quantity, revenueCents: m.revenueCents })),
    categories: (by: 'quantity' | 'revenueCents') =>
      [...categoryNames.keys(), ...[...categories.keys()].map(Number)]
        .filter((id, i, all) => all.indexOf(id) === i)
        .map((categoryId) => ({ categoryId, name: categoryNames.get(categoryId) ?? `Category ${categoryId}`, ...(categories.get(categoryId) ?? { orders: 0, revenueCents: 0, quantity: 0 }) }))
        .sort((a, b) => b[by] - a[by] || a.categoryId - b.categoryId),
  };
}

interface Transaction {
  id: string;
  type: 'Withdrawn' | 'Deposited';
  customer: string;
  bank: string;
  amountCents: number;
  at: number;
}

/**
 * Every deposit looked at against every earlier withdrawal of the same customer:
 * at another bank, within the window, within the tolerance, not used by an earlier
 * deposit; the closest in amount, then in time, wins.
 */
export function crossBankAlerts(feed: FeedEntry[], rules: AlertRules) {
  const transactions: Transaction[] = feed
    .filter((e) => e.type === 'Withdrawn' || e.type === 'Deposited')
    .map((e) => ({ id: e.id, type: e.type as Transaction['type'], ...(e.data as { customer: string; bank: string; amountCents: number }), at: Date.parse(e.occurredAt) }));
  const used = new Set<string>();
  const alerts: { id: string; customer: string; withdrawal: string; deposit: string; withdrawalCents: number; depositCents: number }[] = [];
  transactions.forEach((deposit, i) => {
    if (deposit.type !== 'Deposited') return;
    const candidates = transactions
      .slice(0, i)
      .filter(
        (w) =>
          w.type === 'Withdrawn' &&
          !used.has(w.id) &&
          w.customer === deposit.customer &&
          w.bank !== deposit.bank &&
          Math.abs(deposit.at - w.at) <= rules.windowMs &&
          Math.abs(deposit.amountCents - w.amountCents) <= (w.amountCents * rules.tolerancePercent) / 100,
      )
      .sort((a, b) => Math.abs(a.amountCents - deposit.amountCents) - Math.abs(b.amountCents - deposit.amountCents) || b.at - a.at || (a.id < b.id ? -1 : 1));
    const match = candidates[0];
    if (!match) return;
    used.add(match.id);
    alerts.push({ id: deposit.id, customer: deposit.customer, withdrawal: match.id, deposit: deposit.id, withdrawalCents: match.amountCents, depositCents: deposit.amountCents });
  });
  return alerts;
}

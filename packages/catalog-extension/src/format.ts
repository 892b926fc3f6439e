/** Number, size, duration and time formatting for the catalog views, plus a tiny DOM helper. */

/** Creates an element with a class and optional text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A button that runs `onClick`. */
export function button(
  className: string,
  label: string,
  onClick: () => void,
  title?: string
): HTMLButtonElement {
  const node = h('button', `jp-Button jp-mod-minimal jp-opsbook-Button ${className}`, label);
  node.type = 'button';
  if (title) {
    node.title = title;
  }
  node.addEventListener('click', event => {
    event.preventDefault();
    onClick();
  });
  return node;
}

/** 12,345 (null -> '–'). */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/** 1.2 MB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '–';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A duration in ns as "850 µs", "1.2 ms", "3.4 s", "2.0 min". */
export function nanos(ns: number): string {
  const abs = Math.abs(ns);
  if (abs < 1e3) {
    return `${ns} ns`;
  }
  if (abs < 1e6) {
    return `${(ns / 1e3).toFixed(abs < 1e4 ? 1 : 0)} µs`;
  }
  if (abs < 1e9) {
    return `${(ns / 1e6).toFixed(abs < 1e7 ? 1 : 0)} ms`;
  }
  if (abs < 60e9) {
    return `${(ns / 1e9).toFixed(1)} s`;
  }
  return `${(ns / 60e9).toFixed(1)} min`;
}

/** 12.5 % (of a 0..1 rate). */
export function percent(rate: number): string {
  const p = rate * 100;
  return `${p === 0 || p >= 10 ? p.toFixed(0) : p < 0.1 ? '<0.1' : p.toFixed(1)} %`;
}

/** "2024-05-01 10:00:00 UTC" of an ISO time. */
export function utc(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A time range, dropping the end's date when it is the start's. */
export function range(r: { start: string; end: string } | null): string {
  if (!r) {
    return '–';
  }
  const start = utc(r.start);
  const end = utc(r.end);
  return start.slice(0, 10) === end.slice(0, 10)
    ? `${start.slice(0, 19)} – ${end.slice(11)}`
    : `${start} – ${end}`;
}

/** A short local time with date, for "who/when". */
export function when(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      });
}

/** A compact local time: "Nov 25, 03:31" this year, "Nov 25 2025" before. */
export function short(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  if (isNaN(d.getTime())) {
    return iso;
  }
  return d.getFullYear() === new Date().getFullYear()
    ? d.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** The first 12 hex digits of a content id. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 12) : '–';
}

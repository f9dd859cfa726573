#!/usr/bin/env python3
"""Draws a soak run's samples (Tests/Soak/soak.sh's samples.csv) as an SVG, with Python's
standard library only: the server's RSS (and its high-water mark) over time in the top panel,
with the warm-up shaded and the ±5% band around the median of the samples after it; its open
file descriptors and the client's open connections in the bottom one.

  Tests/Soak/plot.py CSV SVG [--tolerance 0.05]
"""
import argparse
import csv
import math
import statistics
from xml.sax.saxutils import escape

W, H = 960, 620
LEFT, RIGHT = 80, 30
PANELS = ((50, 300), (360, 560))  # top and bottom y of each panel's plot area
PHASE_FILL = {"ramp": "#f2e6d9", "warmup": "#f7f0e6", "drain": "#e6eef7", "after": "#eef3f8"}


def nice_ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)], step


def fmt(v):
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv")
    p.add_argument("svg")
    p.add_argument("--tolerance", type=float, default=0.05)
    args = p.parse_args()
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"plot: no samples in {args.csv}")
    t = [float(r["t"]) for r in rows]
    rss = [int(r["rss_kb"]) / 1024 for r in rows]
    hwm = [int(r["hwm_kb"]) / 1024 for r in rows]
    fds = [int(r["fds"]) for r in rows]
    opened = [int(r["client_open"]) for r in rows]
    phases = [r["phase"] for r in rows]
    steady = [v for v, ph in zip(rss, phases) if ph == "steady"]
    med = statistics.median(steady) if steady else None

    t_lo, t_hi = 0.0, max(t[-1], 1.0)
    minutes = t_hi >= 300
    unit = 60 if minutes else 1  # ticks at round minutes, or round seconds
    x_ticks = [v * unit for v in nice_ticks(t_lo / unit, t_hi / unit, 8)[0]]
    t_hi = max(t_hi, x_ticks[-1])

    def x(v):
        return LEFT + (v - t_lo) / (t_hi - t_lo) * (W - LEFT - RIGHT)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']

    def panel(index, series, label, band=None):
        top, bottom = PANELS[index]
        values = [v for s in series for v in s[1]]
        lo, hi = min(values), max(values)
        if band:
            lo, hi = min(lo, band[0]), max(hi, band[1])
        pad = (hi - lo) * 0.08 or 1
        y_ticks, _ = nice_ticks(max(0, lo - pad), hi + pad, 5)
        y_lo, y_hi = y_ticks[0], y_ticks[-1]

        def y(v):
            return bottom - (v - y_lo) / (y_hi - y_lo) * (bottom - top)

        # Phases other than the steady load, shaded.
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or phases[i] != phases[start]:
                fill = PHASE_FILL.get(phases[start])
                if fill:
                    x0, x1 = x(t[start]), x(t[min(i, len(rows) - 1)])
                    out.append(f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" height="{bottom - top}" fill="{fill}"/>')
                    if index == 0 and x1 - x0 > 40:
                        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top + 14}" text-anchor="middle" fill="#8a7a6a">'
                                   f'{escape(phases[start])}</text>')
                start = i
        if band:
            out.append(f'<rect x="{LEFT}" y="{y(band[1]):.1f}" width="{W - LEFT - RIGHT}" height="{y(band[0]) - y(band[1]):.1f}" '
                       'fill="#2a7ab9" fill-opacity="0.10"/>')
            out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(band[2]):.1f}" y2="{y(band[2]):.1f}" stroke="#2a7ab9" '
                       'stroke-dasharray="2,3" stroke-width="1"/>')
        for v in y_ticks:
            out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e3e3"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#444">{fmt(v)}</text>')
        for v in x_ticks:
            out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top}" y2="{bottom}" stroke="#efefef"/>')
            text = f"{v / unit:g}"
            out.append(f'<text x="{x(v):.1f}" y="{bottom + 16}" text-anchor="middle" fill="#444">{text}</text>')
        out.append(f'<rect x="{LEFT}" y="{top}" width="{W - LEFT - RIGHT}" height="{bottom - top}" fill="none" stroke="#888"/>')
        out.append(f'<text x="18" y="{(top + bottom) / 2:.1f}" text-anchor="middle" transform="rotate(-90 18 {(top + bottom) / 2:.1f})" '
                   f'fill="#222">{escape(label)}</text>')
        legend_x = LEFT + 10
        for name, vals, color, dash in series:
            points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(t, vals))
            out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5"'
                       f'{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>')
            out.append(f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{bottom - 12}" y2="{bottom - 12}" stroke="{color}" stroke-width="2"'
                       f'{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>')
            out.append(f'<text x="{legend_x + 22}" y="{bottom - 8}" fill="#222">{escape(name)}</text>')
            legend_x += 30 + 7 * len(name)

    band = (med * (1 - args.tolerance), med * (1 + args.tolerance), med) if med else None
    panel(0, [("RSS", rss, "#1f5f99", None), ("peak RSS (VmHWM)", hwm, "#9bb8d3", "5,3")], "server memory (MiB)", band)
    panel(1, [("server open fds", fds, "#b5562b", None), ("client connections open", opened, "#4b8b3b", "5,3")], "count")
    steady_note = (f"after warm-up: {min(steady):.0f} / {med:.0f} / {max(steady):.0f} MiB min / median / max, "
                   f"band ±{args.tolerance:.0%} of the median") if steady else "no samples after the warm-up"
    out.append(f'<text x="{LEFT}" y="22" font-size="15" fill="#111">websockets serve soak: RSS and descriptors, one sample a second</text>')
    out.append(f'<text x="{LEFT}" y="40" fill="#555">{escape(steady_note)}</text>')
    out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 22}" text-anchor="middle" fill="#222">'
               f'time ({"minutes" if minutes else "seconds"})</text>')
    out.append("</svg>")
    with open(args.svg, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

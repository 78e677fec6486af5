"""The portal's own base map: how long a tile takes to draw, how big tiles are, what a whole pyramid
would weigh on disk, and how much faster a cached tile is served.

    python bench/map_tiles.py [--sample 150] [--seed 1]

Builds the demo province's map (geo/basemap.py, from the units of portal/demo/data.py, as
`portal-seed-demo` stores them), then for every zoom from 6 to 14 draws every tile over the province
(or a random sample of --sample tiles where there are more) and reports the median and 95th
percentile drawing time, the mean PNG size, the number of tiles at that zoom and their estimated disk
size. Finally it serves the same tiles again from the disk cache (geo/tiles.cached_tile) and reports
the ratio of drawing to reading. One process, one core; no server, no database."""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from portal.demo import data  # noqa: E402
from portal.geo import basemap, tiles  # noqa: E402


def demo_units():
    province = data.PROVINCE[0]
    units = [{"code": province, "parent": None, "name_zh": data.PROVINCE[1],
              "geometry": json.loads(data.rectangle(data.WEST, data.SOUTH, data.EAST, data.NORTH))}]
    for i, city in enumerate(data.CITIES):
        units.append({"code": city[0], "parent": province, "name_zh": city[1],
                      "geometry": json.loads(data.rectangle(*data.city_bounds(i)))})
        for j, county in enumerate(data.COUNTIES[city[0]]):
            units.append({"code": county[0], "parent": city[0], "name_zh": county[1],
                          "geometry": json.loads(data.rectangle(*data.county_bounds(i, j)))})
    return units


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=150, help="tiles drawn per zoom where there are more")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    geo = basemap.build(demo_units())
    print(f"map built in {(time.perf_counter() - started) * 1000:.1f} ms: {len(geo.places)} places, "
          f"{len(geo.roads)} roads, {len(geo.streets)} street segments")
    print(f"{'zoom':>4} {'tiles':>8} {'drawn':>6} {'median ms':>10} {'p95 ms':>7} {'mean KB':>8} {'est. MB':>8}")
    total_tiles, total_bytes, all_times, drawn_tiles = 0, 0.0, [], []
    for z in range(tiles.MIN_ZOOM, tiles.MAX_ZOOM + 1):
        x0, y0, x1, y1 = tiles.tile_range(geo.bounds, z)
        every = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        chosen = every if len(every) <= args.sample else rng.sample(every, args.sample)
        times, sizes = [], []
        for x, y in chosen:
            t = time.perf_counter()
            body = tiles.render(geo, z, x, y)
            times.append((time.perf_counter() - t) * 1000)
            sizes.append(len(body))
            drawn_tiles.append((z, x, y))
        all_times += times
        mean = statistics.mean(sizes)
        total_tiles += len(every)
        total_bytes += mean * len(every)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(f"{z:>4} {len(every):>8} {len(chosen):>6} {statistics.median(times):>10.1f} {p95:>7.1f} "
              f"{mean / 1024:>8.1f} {mean * len(every) / 1024 / 1024:>8.1f}")
    print(f"all zooms: {total_tiles} tiles, about {total_bytes / 1024 / 1024:.0f} MB if every one were drawn; "
          f"median {statistics.median(all_times):.1f} ms per tile drawn")
    with tempfile.TemporaryDirectory() as cache:
        sample = drawn_tiles[:: max(1, len(drawn_tiles) // 200)]
        t = time.perf_counter()
        for z, x, y in sample:
            tiles.cached_tile(cache, geo, z, x, y)
        first = (time.perf_counter() - t) / len(sample) * 1000
        t = time.perf_counter()
        for z, x, y in sample:
            tiles.cached_tile(cache, geo, z, x, y)
        again = (time.perf_counter() - t) / len(sample) * 1000
        blocks = [os.stat(os.path.join(cache, geo.version, str(z), str(x), f"{y}.png")).st_blocks * 512
                  for z, x, y in sample]
    print(f"on disk: {statistics.mean(blocks) / 1024:.1f} KB per cached tile (file system blocks): about "
          f"{statistics.mean(blocks) * total_tiles / 1024 / 1024:.0f} MB for every tile of every zoom")
    print(f"cache: first request {first:.2f} ms (drawn and written), again {again:.3f} ms (read): "
          f"{first / again:.0f} times faster")


if __name__ == "__main__":
    main()

"""``python -m telephony.sim --port 5038 [--scenario NAME | --demo]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from telephony.sim.server import SwitchboardSimulator, load_scenario, scenario_names


async def _main(args: argparse.Namespace) -> None:
    sim = SwitchboardSimulator(username=args.username, secret=args.secret)
    port = await sim.start(args.host, args.port)
    logging.info("AMI simulator on %s:%d (user %s)", args.host, port, args.username)
    if args.scenario:
        scenario = load_scenario(args.scenario)
        await sim.wait_for_clients(3600)
        await sim.play(scenario)
        await asyncio.sleep(1)
    elif args.demo:
        await sim.demo(args.interval)
    else:
        await asyncio.Event().wait()
    await sim.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m telephony.sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument("--username", default="hotline")
    parser.add_argument("--secret", default="hotline-secret")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--scenario", choices=scenario_names(), help="play once for a client")
    group.add_argument("--demo", action="store_true", help="random calls forever")
    parser.add_argument("--interval", type=float, default=4.0, help="demo: seconds between calls")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()

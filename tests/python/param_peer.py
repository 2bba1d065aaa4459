"""rclpy peer for the parameter-services test: what `ros2 param list/get/describe/set/dump`
does, with rclpy's own parameter client, against a Rust node.

    python param_peer.py NODE dump FILE    # list, get, describe, set (refused), write FILE
    python param_peer.py NODE check FILE   # the node's values equal those in FILE

`dump` writes FILE as `ros2 param dump` does: {NODE: {ros__parameters: {...}}}, dotted
names nested as maps. Prints one line per check ("ok ..." or "FAIL ...") and exits 0
only if every check passed.
"""
import sys

import rclpy
import yaml
from rcl_interfaces.msg import ParameterType
from rclpy.parameter import Parameter, parameter_value_to_python
from rclpy.parameter_client import AsyncParameterClient

TIMEOUT_S = 20.0


def call(node, future):
    rclpy.spin_until_future_complete(node, future, timeout_sec=TIMEOUT_S)
    return future.result()


def nest(flat: dict) -> dict:
    """a.b: 1 -> {a: {b: 1}}, as ros2param's dump does."""
    out: dict = {}
    for name, value in flat.items():
        level = out
        *parents, leaf = name.split(".")
        for part in parents:
            level = level.setdefault(part, {})
        level[leaf] = value
    return out


def read_all(node, client) -> dict:
    listed = call(node, client.list_parameters())
    names = list(listed.result.names) if listed else []
    got = call(node, client.get_parameters(names)) if names else None
    values = [parameter_value_to_python(v) for v in got.values] if got else []
    return dict(zip(names, values))


def main() -> int:
    target, mode, path = sys.argv[1], sys.argv[2], sys.argv[3]
    rclpy.init()
    node = rclpy.create_node("param_peer")
    client = AsyncParameterClient(node, target)
    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok " if ok else "FAIL ") + what, flush=True)
        failures += 0 if ok else 1

    check(client.wait_for_services(timeout_sec=TIMEOUT_S), f"{target} serves the parameter services")
    values = read_all(node, client)
    if mode == "dump":
        check(len(values) > 10, f"list_parameters and get_parameters give the values ({len(values)} parameters)")
        check(values.get("robot_id") == "optimus_1", f"robot_id is optimus_1 (got {values.get('robot_id')!r})")
        check(
            isinstance(values.get("follower.lookahead_m"), float),
            f"a nested parameter is a double under its dotted name (got {values.get('follower.lookahead_m')!r})",
        )
        check(values.get("use_sim_time") is False, "use_sim_time is listed")
        types = call(node, client.get_parameter_types(["robot_id", "follower.lookahead_m", "no_such"]))
        check(
            types is not None
            and list(types.types)
            == [ParameterType.PARAMETER_STRING, ParameterType.PARAMETER_DOUBLE, ParameterType.PARAMETER_NOT_SET],
            f"get_parameter_types (got {types.types if types else None})",
        )
        described = call(node, client.describe_parameters(["robot_id"]))
        check(
            described is not None
            and described.descriptors[0].name == "robot_id"
            and described.descriptors[0].type == ParameterType.PARAMETER_STRING
            and described.descriptors[0].read_only,
            "describe_parameters names the type and says read-only",
        )
        refused = call(node, client.set_parameters([Parameter("robot_id", value="intruder")]))
        reason = refused.results[0].reason if refused else ""
        check(
            refused is not None and not refused.results[0].successful and "cannot change" in reason,
            f"set_parameters is refused with the reason (got {reason!r})",
        )
        unknown = call(node, client.set_parameters([Parameter("no_such", value=1)]))
        check(
            unknown is not None and "unknown parameter 'no_such'" in unknown.results[0].reason,
            "setting an unknown parameter names it",
        )
        after = read_all(node, client)
        check(after.get("robot_id") == "optimus_1", "a refused set changes nothing")
        with open(path, "w") as f:
            yaml.dump({target: {"ros__parameters": nest(values)}}, f, default_flow_style=False)
        check(True, f"dumped {len(values)} parameters to {path}")
    else:
        with open(path) as f:
            dumped = yaml.safe_load(f)[target]["ros__parameters"]
        check(nest(values) == dumped, "the node started from the dump runs with the dumped values")
    node.destroy_node()
    rclpy.shutdown()
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""rclpy peer for the interop test: another ROS 2 client library on the same graph.

Subscribes to a Rust node's factory_interfaces/RobotStatus and calls its SubmitTask
service, once with a valid charge task and once with an invalid one. Prints one line
per check ("ok ..." or "FAIL ...") and exits 0 only if every check passed.

    python interop_peer.py /a        # the Rust node's namespace
"""
import sys
import time

import rclpy
from factory_interfaces.msg import RobotStatus, TaskRequest, TaskStep
from factory_interfaces.srv import SubmitTask

TIMEOUT_S = 20.0


def main() -> int:
    namespace = sys.argv[1] if len(sys.argv) > 1 else ""
    rclpy.init()
    node = rclpy.create_node("interop_peer")
    statuses = []
    node.create_subscription(RobotStatus, f"{namespace}/robot_status", statuses.append, 10)
    client = node.create_client(SubmitTask, f"{namespace}/submit_task")
    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok " if ok else "FAIL ") + what, flush=True)
        failures += 0 if ok else 1

    deadline = time.monotonic() + TIMEOUT_S
    while not statuses and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    check(bool(statuses), "received RobotStatus from the Rust node")
    if statuses:
        msg = statuses[-1]
        check(msg.robot_id == "robot_a", f"robot_id is robot_a (got {msg.robot_id!r})")
        check(0.0 <= msg.battery_soc <= 1.0, f"battery_soc within [0, 1] (got {msg.battery_soc})")
        check(msg.header.stamp.sec > 0, "header is stamped")

    check(client.wait_for_service(timeout_sec=TIMEOUT_S), "SubmitTask service available")

    def call(task: TaskRequest):
        future = client.call_async(SubmitTask.Request(task=task))
        rclpy.spin_until_future_complete(node, future, timeout_sec=TIMEOUT_S)
        return future.result()

    good = TaskRequest(task_type=TaskStep.CHARGE, requested_by="interop_peer",
                       steps=[TaskStep(kind=TaskStep.CHARGE, location_id="charger_1")])
    reply = call(good)
    check(reply is not None and reply.accepted, f"charge task accepted ({reply})")

    bad = TaskRequest(task_type=TaskStep.CHARGE, requested_by="interop_peer", steps=[])
    reply = call(bad)
    check(reply is not None and not reply.accepted
          and reply.reason_code == SubmitTask.Response.REASON_INVALID
          and "task.steps" in reply.message,
          f"empty task rejected with REASON_INVALID naming task.steps ({reply})")

    node.destroy_node()
    rclpy.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

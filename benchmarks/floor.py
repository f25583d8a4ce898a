"""The floor: one message's calls made directly, in a process of its own (as a function worker is).

PutItem, Publish, ReceiveMessage, UpdateItem (processing), ntfy POST — timed to the ntfy answer —
then DeleteMessage. Prints the latencies in milliseconds as a JSON list.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import boto3
import httpx


def main() -> None:
    aws_url, table, topic, queue, ntfy_url, count = sys.argv[1:7]
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    ddb, sns, sqs = (session.client(s, endpoint_url=aws_url) for s in ("dynamodb", "sns", "sqs"))
    samples = []
    with httpx.Client() as http:
        for _ in range(int(count)):
            key = f"floor-{uuid.uuid4()}"
            started = time.perf_counter()
            ddb.put_item(TableName=table, Item={"id": {"S": key}, "status": {"S": "queued"}})
            sns.publish(TopicArn=topic, Message=json.dumps({"id": key}))
            messages: list = []
            while not messages:
                messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=1
                                               ).get("Messages", [])
            ddb.update_item(TableName=table, Key={"id": {"S": key}}, UpdateExpression="SET #s = :s",
                            ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":s": {"S": "processing"}})
            http.post(f"{ntfy_url}/floor", content=key.encode())
            samples.append((time.perf_counter() - started) * 1000)
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
    print(json.dumps(samples))


if __name__ == "__main__":
    main()

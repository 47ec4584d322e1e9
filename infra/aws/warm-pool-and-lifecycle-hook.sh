#!/bin/sh
# The warm pool and launching lifecycle hook warmpool expects on each model's Auto Scaling group.
# AwsAutoScalingProvider also makes sure both exist (PutWarmPool / PutLifecycleHook) on its first scale;
# these commands are for setting them up ahead, or by hand. Instances launched from the warm pool wait in
# Pending:Wait until the warm-up agent on them completes the hook (CONTINUE once warm, ABANDON on failure).
set -eu
GROUP=${GROUP:-asg-llama-70b}

# the tag the IAM policies (iam-daemon-policy.json, iam-agent-policy.json) scope their writes to
aws autoscaling create-or-update-tags --tags \
  "ResourceId=$GROUP,ResourceType=auto-scaling-group,Key=warmpool.io/managed,Value=true,PropagateAtLaunch=false"

# instances kept stopped (weights on the EBS volume, no GPU charge), returned to the pool on scale-in
aws autoscaling put-warm-pool --auto-scaling-group-name "$GROUP" \
  --min-size 2 --max-group-prepared-capacity 14 --pool-state Stopped \
  --instance-reuse-policy ReuseOnScaleIn=true

# a launching instance waits (up to 600 s between heartbeats) until the agent says it is warm
aws autoscaling put-lifecycle-hook --auto-scaling-group-name "$GROUP" \
  --lifecycle-hook-name warmpool-warmup \
  --lifecycle-transition autoscaling:EC2_INSTANCE_LAUNCHING \
  --heartbeat-timeout 600 --default-result ABANDON

# On each instance (user data / a systemd unit), the warm-up agent completes the hook once warm
# (CONTINUE) or abandons it (ABANDON), sending heartbeats while it warms (instance id and region from IMDSv2):
#   warmpool-agent serve --model /models/llama-70b.onnx --name llama-70b --spec /etc/warmpool/warmup.json \
#     --providers cuda,cpu --registrar aws --asg "$GROUP" --lifecycle-hook warmpool-warmup

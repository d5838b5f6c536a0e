#!/usr/bin/env python3
"""Writes a `p6auth import` file for bench/scale.sh: ORG_NODES org nodes and USERS users in
instance acme. Nodes: /acme/D<d> departments with /acme/D<d>/T<t> teams under them. Users: one
position each (a team, round robin), the set Staff, last names from 1,000 names, so a last-name
search matches USERS / 1,000 users. Deterministic: the same arguments give the same file."""
import json
import sys

users, org_nodes = int(sys.argv[1]), int(sys.argv[2])
departments = max(1, org_nodes // 100)
teams_per = max(0, org_nodes // departments - 1)
nodes = []
teams = []
for d in range(departments):
    nodes.append({"path": f"/acme/D{d}"})
    for t in range(teams_per):
        path = f"/acme/D{d}/T{t}"
        nodes.append({"path": path})
        teams.append(path)
teams = teams or [n["path"] for n in nodes]
doc = {
    "permission_sets": [{"instance": "acme", "name": "Staff", "permissions": ["orgs=read"]}],
    "org_nodes": nodes,
    "users": [
        {
            "email": f"user{i}@scale.example",
            "first_name": f"First{i}",
            "last_name": f"Name{i % 1000}",
            "access": [{"instance": "acme", "permission_sets": ["Staff"], "positions": [teams[i % len(teams)]]}],
        }
        for i in range(users)
    ],
}
json.dump(doc, sys.stdout)

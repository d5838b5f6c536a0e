//! The permission grammar: parsing, covering checks, and the scopes tree of a user.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use p6auth_bench::user_permission_sets;
use p6auth_permissions::{Permission, allows, scopes_tree};

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse permission");
    for text in [
        "orgs=read",
        "acme:users=read('./')",
        r#"acme:reports=read("Report 1", 'a\\b', '/acme/Sales/*')"#,
    ] {
        g.bench_function(text, |b| {
            b.iter(|| black_box(text).parse::<Permission>().unwrap())
        });
    }
    let token = "acme:users=read('Report%201')";
    g.bench_function("from scope token", |b| {
        b.iter(|| Permission::from_scope_token(black_box(token)).unwrap())
    });
    g.finish();
}

fn evaluate(c: &mut Criterion) {
    let sets = user_permission_sets(20);
    let held: Vec<Permission> = sets
        .iter()
        .flat_map(|s| s.qualified_permissions(&s.instance))
        .collect();
    let mut g = c.benchmark_group(format!("allows, {} held", held.len()));
    let yes: Permission = "acme:users=read('/acme/Dept19/*')".parse().unwrap();
    let no: Permission = "acme:billing=delete".parse().unwrap();
    g.bench_function("granted", |b| b.iter(|| allows(&held, black_box(&yes))));
    g.bench_function("refused (scans all)", |b| {
        b.iter(|| allows(&held, black_box(&no)))
    });
    g.finish();
}

fn tree(c: &mut Criterion) {
    let sets = user_permission_sets(20);
    c.bench_function("scopes tree, 20 sets: resolve + tree + JSON", |b| {
        b.iter(|| {
            let mut held: Vec<Permission> = Vec::new();
            for s in black_box(&sets) {
                for p in s.qualified_permissions(&s.instance) {
                    if !held.contains(&p) {
                        held.push(p);
                    }
                }
            }
            scopes_tree(&held).to_json()
        })
    });
    let held: Vec<Permission> = sets
        .iter()
        .flat_map(|s| s.qualified_permissions(&s.instance))
        .collect();
    c.bench_function("scopes tree, 20 sets: tree + JSON of resolved", |b| {
        b.iter(|| scopes_tree(black_box(&held)).to_json())
    });
}

criterion_group!(benches, parse, evaluate, tree);
criterion_main!(benches);

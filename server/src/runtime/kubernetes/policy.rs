//! A workspace's network on Kubernetes: a NetworkPolicy of its own, selecting its Pod by
//! its workspace label. Nothing comes in (terminals, files and previews go through the API
//! server's exec); nothing goes out when isolated (its processes use AiCockpit's proxy on
//! their loopback); when open, anything outside the private, link-local and shared address
//! ranges, where the cluster, its nodes and cloud metadata live, and the cluster's DNS.
//! The cluster's network plugin must enforce NetworkPolicies (Calico, Cilium and most
//! managed clusters do; some local ones, such as kind's default, do not).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::runtime::{labels, ContainerSpec, NetworkMode};

/// Ranges an open workspace may not reach: private (the cluster's Pods and Services, the
/// nodes, the LAN), link-local (cloud metadata), shared and loopback.
pub const NOT_OPEN: [&str; 6] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
];

/// The policy of the workspace `spec` runs, named like its Pod.
pub fn network_policy(spec: &ContainerSpec) -> NetworkPolicy {
    let workspace = spec
        .labels
        .get(labels::WORKSPACE)
        .cloned()
        .unwrap_or_default();
    let egress = match spec.network {
        NetworkMode::Isolated => Vec::new(),
        NetworkMode::Open => vec![
            NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    ip_block: Some(IPBlock {
                        cidr: "0.0.0.0/0".into(),
                        except: Some(NOT_OPEN.iter().map(|r| r.to_string()).collect()),
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(selector(
                        "kubernetes.io/metadata.name",
                        "kube-system",
                    )),
                    pod_selector: Some(selector("k8s-app", "kube-dns")),
                    ..Default::default()
                }]),
                ports: Some(
                    ["UDP", "TCP"]
                        .into_iter()
                        .map(|protocol| NetworkPolicyPort {
                            protocol: Some(protocol.into()),
                            port: Some(IntOrString::Int(53)),
                            ..Default::default()
                        })
                        .collect(),
                ),
            },
        ],
    };
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            labels: Some(BTreeMap::from([(
                labels::MANAGED.to_owned(),
                "true".to_owned(),
            )])),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(labels::WORKSPACE, &workspace)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: Some(Vec::new()),
            egress: Some(egress),
        }),
    }
}

fn selector(key: &str, value: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(key.to_owned(), value.to_owned())])),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::kubernetes::spec::tests::spec;

    #[test]
    fn an_isolated_workspace_takes_and_sends_nothing() {
        let policy = network_policy(&spec());
        assert_eq!(policy.metadata.name.as_deref(), Some("aicockpit-ada.web"));
        let rules = policy.spec.unwrap();
        assert_eq!(
            rules.pod_selector.unwrap().match_labels.unwrap()[labels::WORKSPACE],
            "w1"
        );
        assert_eq!(
            rules.policy_types,
            Some(vec!["Ingress".to_owned(), "Egress".to_owned()])
        );
        assert_eq!(rules.ingress, Some(Vec::new()), "nothing comes in");
        assert_eq!(rules.egress, Some(Vec::new()), "nothing goes out");
    }

    #[test]
    fn an_open_workspace_reaches_the_internet_and_dns_but_nothing_private() {
        let policy = network_policy(&ContainerSpec {
            network: NetworkMode::Open,
            ..spec()
        });
        let rules = policy.spec.unwrap();
        assert_eq!(rules.ingress, Some(Vec::new()));
        let egress = rules.egress.unwrap();
        let internet = egress[0].to.as_ref().unwrap()[0].ip_block.clone().unwrap();
        assert_eq!(internet.cidr, "0.0.0.0/0");
        let except = internet.except.unwrap();
        for private in [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "169.254.0.0/16",
        ] {
            assert!(except.iter().any(|e| e == private), "{private}");
        }
        let dns = &egress[1];
        assert_eq!(dns.ports.as_ref().unwrap().len(), 2);
        assert_eq!(
            dns.to.as_ref().unwrap()[0]
                .pod_selector
                .clone()
                .unwrap()
                .match_labels
                .unwrap()["k8s-app"],
            "kube-dns"
        );
    }
}

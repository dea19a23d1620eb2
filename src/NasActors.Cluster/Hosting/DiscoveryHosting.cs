using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Event;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using NasActors.Core.Input;

namespace NasActors.Cluster.Hosting;

/// <summary>Registration of discovery: how a node finds its seed nodes when none are listed.</summary>
public static class DiscoveryHosting
{
    /// <summary>
    /// Nothing without bootstrap; otherwise Akka.Management's cluster bootstrap (<c>join = akka-management</c>) or
    /// a lookup of the remoting endpoints joined as seed nodes.
    /// </summary>
    public static AkkaConfigurationBuilder AddDiscovery(this AkkaConfigurationBuilder builder, DiscoveryOptions d, string? publicHostname)
    {
        if (!d.UsesBootstrap) return builder;
        if (d.Join == DiscoveryJoin.AkkaManagement) AddBootstrap(builder, d, publicHostname);
        else AddDiscoveredSeedNodes(builder, d);
        return builder;
    }

    /// <summary>
    /// Discovery without Akka.Management's HTTP endpoint (see <see cref="DiscoveryOptions.Join"/>): looks up the
    /// service's remoting endpoints (config: the listed host:port; kubernetes-api: the pods' port named
    /// <c>remoting</c>) until at least the required number answer the lookup, then joins them as seed nodes, sorted,
    /// so every node sees the same first seed (the only one that may form a new cluster by joining itself).
    /// </summary>
    private static void AddDiscoveredSeedNodes(AkkaConfigurationBuilder builder, DiscoveryOptions d)
    {
        var endpoints = string.Join(", ", d.Endpoints.Select(e => "\"" + e + "\""));
        builder.AddHocon(ConfigurationFactory.ParseString($"akka.discovery.config.services.{d.ServiceName}.endpoints = [{endpoints}]"),
            HoconAddMode.Prepend);
        if (d.Method == DiscoveryMethod.KubernetesApi)
            builder.WithKubernetesDiscovery(k =>
            {
                k.PodLabelSelector = d.PodLabelSelector;
                if (d.PodNamespace is not null) k.PodNamespace = d.PodNamespace;
            });
        builder.AddStartup((system, registry) =>
        {
            var log = Logging.GetLogger(system, "nas-discovery");
            var discovery = Akka.Discovery.Discovery.Get(system).LoadServiceDiscovery(d.Method.ToWire());
            var lookup = new Akka.Discovery.Lookup(d.ServiceName, d.Method == DiscoveryMethod.KubernetesApi ? "remoting" : null, "tcp");
            _ = Task.Run(async () =>
            {
                while (!system.WhenTerminated.IsCompleted)
                {
                    try
                    {
                        var resolved = await discovery.Lookup(lookup, TimeSpan.FromSeconds(5));
                        var seeds = resolved.Addresses.Where(t => t.Port is not null)
                            .Select(t => new Address("akka.tcp", "nas", t.Host, t.Port!.Value))
                            .Distinct().OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).ToArray();
                        if (seeds.Length >= d.RequiredContactPoints)
                        {
                            log.Info("Discovery ({0}) found {1}: joining them as seed nodes", d.Method.ToWire(), string.Join(", ", seeds.Select(a => a.ToString())));
                            Akka.Cluster.Cluster.Get(system).JoinSeedNodes(seeds);
                            return;
                        }
                        log.Info("Discovery ({0}) found {1} of {2} contact points; looking again", d.Method.ToWire(), seeds.Length, d.RequiredContactPoints);
                    }
                    catch (Exception e) { log.Warning("Discovery ({0}) lookup of {1} failed: {2}", d.Method.ToWire(), d.ServiceName, e.Message); }
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            });
        });
    }

    /// <summary>Akka.Management (HTTP) and cluster bootstrap: config discovery (a fixed list) or the Kubernetes API.</summary>
    private static void AddBootstrap(AkkaConfigurationBuilder builder, DiscoveryOptions d, string? publicHostname)
    {
        var endpoints = string.Join(", ", d.Endpoints.Select(e => "\"" + e + "\""));
        builder.AddHocon(ConfigurationFactory.ParseString($$"""
            akka.discovery.config.services.{{d.ServiceName}}.endpoints = [{{endpoints}}]
            akka.management.cluster.bootstrap.contact-point-discovery {
              discovery-method = {{d.Method.ToWire()}}
              service-name = "{{d.ServiceName}}"
              required-contact-point-nr = {{d.RequiredContactPoints}}
            }
            """), HoconAddMode.Prepend);
        if (d.Method == DiscoveryMethod.KubernetesApi)
            builder.WithKubernetesDiscovery(k =>
            {
                k.PodLabelSelector = d.PodLabelSelector;
                if (d.PodNamespace is not null) k.PodNamespace = d.PodNamespace;
            });
        builder.WithAkkaManagement(m =>
        {
            // Bound on the configured address; advertised on the public hostname when bound on every interface.
            m.HostName = d.ManagementHostname == "0.0.0.0" && publicHostname is not null ? publicHostname : d.ManagementHostname;
            m.Port = d.ManagementPort;
            m.BindHostName = d.ManagementHostname;
            m.BindPort = d.ManagementPort;
        }, autoStart: true);
        builder.WithClusterBootstrap(b =>
        {
            b.ContactPointDiscovery.ServiceName = d.ServiceName;
            b.ContactPointDiscovery.DiscoveryMethod = d.Method.ToWire();
            b.ContactPointDiscovery.RequiredContactPointsNr = d.RequiredContactPoints;
        }, autoStart: true);
    }
}

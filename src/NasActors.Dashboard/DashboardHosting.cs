using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NasActors.Cluster.Hosting;

namespace NasActors.Dashboard;

/// <summary>The registration of the dashboard on a node's generic host (beside Akka.Hosting's <c>AddAkka</c>).</summary>
public static class DashboardHosting
{
    /// <summary>
    /// Adds the dashboard when <paramref name="options"/> enable it: a hosted service that starts after the actor
    /// system (register it after <c>AddAkka</c>) and serves the pages, the API, the event feed and /metrics with Kestrel.
    /// </summary>
    public static IServiceCollection AddNasDashboard(this IServiceCollection services, DashboardOptions options)
    {
        if (!options.Enabled) return services;
        services.AddSingleton(sp => new DashboardServer(options, sp));
        services.AddHostedService(sp => sp.GetRequiredService<DashboardServer>());
        return services;
    }
}

/// <summary>
/// The dashboard's web server: an ASP.NET Core application of its own (Kestrel, routing, nothing else) whose lifetime is
/// the node's host, so its configuration (ASPNETCORE_* variables, appsettings files) cannot leak into the node's.
/// </summary>
public sealed class DashboardServer(DashboardOptions options, IServiceProvider services) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;
    private DashboardFeed? _feed;
    private JobDurationHistogram? _jobs;

    /// <summary>Where the dashboard listens (the port chosen when the setting is 0); null before it started.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancel)
    {
        // The actor system is started by Akka.Hosting's hosted service, registered (and so started) before this one.
        var system = services.GetRequiredService<ActorSystem>();
        var bind = options.BindAddress();
        _jobs = new JobDurationHistogram();
        _feed = new DashboardFeed(system);
        var queries = new DashboardQueries(system, _feed);
        _feed.Refresh = queries.RefreshAsync;

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(bind, options.Port);
            k.AddServerHeader = false;
            // The dashboard's own limit (max-request-bytes) answers 413; Kestrel's, higher, only stops abuse: below it
            // Kestrel drains the rest of a refused body, so the client reads the 413 instead of a reset connection.
            k.Limits.MaxRequestBodySize = Math.Max(1024L * 1024, 4L * options.MaxRequestBytes);
        });
        builder.Services.AddRoutingCore();
        _app = builder.Build();
        DashboardEndpoints.Map(_app, options, system, _feed, queries, _jobs);
        try { await _app.StartAsync(cancel); }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
                                    || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            // Another process took the port between the start-up check and the bind.
            throw new NodeStartException(NodeStartException.BadInput,
                $"dashboard port {options.Port} on {options.Host} is in use ({DashboardOptions.Path}.port)", e);
        }
        var bound = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(bound.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", System.Net.Dns.GetHostName()) + "/");
    }

    public async Task StopAsync(CancellationToken cancel)
    {
        _feed?.Dispose();
        if (_app is not null) await _app.StopAsync(cancel);
    }

    public async ValueTask DisposeAsync()
    {
        _feed?.Dispose();
        _jobs?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }
}

using Akka.Configuration;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Tests.Hosting;

/// <summary>Issue 17: the <c>nas.dashboard</c> block and its start-up check (the pbm host's token rule).</summary>
public sealed class DashboardOptionsSpec
{
    private static DashboardOptions Read(string hocon) =>
        NasNodeOptions.FromConfig(ConfigurationFactory.ParseString("nas { " + hocon + " }"), _ => null, "test.conf").Dashboard;

    [Fact]
    public void The_dashboard_is_off_by_default_and_binds_loopback_without_a_token()
    {
        Assert.Equal(new DashboardOptions { Enabled = false, Host = "127.0.0.1", Port = 9120, Token = "", MaxRequestBytes = 16384 }, Read(""));
    }

    [Fact]
    public void The_dashboard_block_is_read()
    {
        Assert.Equal(new DashboardOptions { Enabled = true, Host = "0.0.0.0", Port = 0, Token = "s3cret", MaxRequestBytes = 4096 },
            Read("dashboard { enabled = on, host = \"0.0.0.0\", port = 0, token = s3cret, max-request-bytes = 4096 }"));
    }

    [Theory]
    [InlineData("dashboard.port = 70000", "test.conf: nas.dashboard.port: not a port number: 70000")]
    [InlineData("dashboard.max-request-bytes = 10", "nas.dashboard.max-request-bytes must be in [1024, 16777216], got 10")]
    public void Bad_dashboard_settings_fail_naming_the_key(string hocon, string message)
    {
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Read(hocon)).Message);
    }

    [Fact]
    public void A_non_loopback_dashboard_without_a_token_fails_the_start_naming_the_token_key()
    {
        var e = Assert.Throws<NodeStartException>(() => NodeStartChecks.Dashboard(Read("dashboard { enabled = on, host = \"0.0.0.0\" }"), k => k));
        Assert.Equal(NodeStartException.BadInput, e.ExitCode);
        Assert.Equal("nas.dashboard.host = 0.0.0.0 is not a loopback address: set nas.dashboard.token (a shared secret the browser sends) or bind to 127.0.0.1", e.Message);
        NodeStartChecks.Dashboard(Read("dashboard { enabled = on, host = \"0.0.0.0\", token = t, port = 0 }"), k => k);
        NodeStartChecks.Dashboard(Read("dashboard { enabled = off, host = \"0.0.0.0\" }"), k => k); // off: nothing to check
    }

    [Fact]
    public void A_dashboard_host_that_is_not_an_address_fails_the_start_naming_the_key()
    {
        var e = Assert.Throws<NodeStartException>(() => NodeStartChecks.Dashboard(Read("dashboard { enabled = on, host = \"dash.example\" }"), k => k));
        Assert.Equal("nas.dashboard.host must be an IP address (or localhost), got 'dash.example'", e.Message);
    }

    [Fact]
    public void A_dashboard_port_taken_fails_the_start_naming_the_key()
    {
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            var e = Assert.Throws<NodeStartException>(() => NodeStartChecks.Dashboard(Read($"dashboard {{ enabled = on, port = {port} }}"), k => k));
            Assert.Equal($"dashboard port {port} on 127.0.0.1 is in use (nas.dashboard.port)", e.Message);
        }
        finally { taken.Stop(); }
    }
}

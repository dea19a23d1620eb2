using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;

namespace NasActors.Dashboard;

/// <summary>
/// The dashboard's routes: the page (embedded wwwroot/), the JSON API the page reads, the actions, the export links,
/// the event feed (server-sent events) and /metrics. Every failure is a 4xx/5xx with <c>{"error": "..."}</c>, never a
/// stack trace.
/// </summary>
public static class DashboardEndpoints
{
    public const string TokenCookie = "nas_dashboard_token";

    public static void Map(WebApplication app, DashboardOptions options, ActorSystem system, DashboardFeed feed, DashboardQueries queries,
        JobDurationHistogram jobs)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                if (!Authorized(context, options)) return;
                if (context.Request.ContentLength is { } length && length > options.MaxRequestBytes)
                    throw new DashboardRequestException(413,
                        $"request body of {length} bytes is over the limit of {options.MaxRequestBytes} bytes ({DashboardOptions.Path}.max-request-bytes)");
                await next(context);
            }
            catch (DashboardRequestException e) { await Error(context, e.Status, e.Message); }
            catch (BadHttpRequestException e) { await Error(context, e.StatusCode, e.Message); }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
            catch (Exception e)
            {
                system.Log.Error(e, "Dashboard: {0} {1} failed", context.Request.Method, context.Request.Path);
                await Error(context, 500, $"internal error: {e.Message}");
            }
        });

        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/app.js", () => Asset("app.js"));
        app.MapGet("/app.css", () => Asset("app.css"));

        // Handlers take typed parameters: a lambda of HttpContext alone returning a Task would bind as a RequestDelegate
        // and its result would be dropped.
        app.MapGet("/api/cluster", async (CancellationToken cancel) => Json(await queries.ClusterAsync(cancel)));
        app.MapGet("/api/searches", async (CancellationToken cancel) =>
        {
            var list = await queries.SearchesAsync(cancel);
            return Json(list.Select(s => queries.SearchRow(s)));
        });
        app.MapGet("/api/searches/{id}", async (string id, HttpContext c) =>
            Json(await queries.SearchAsync(id, IntQuery(c, "k", 1, 1000), c.RequestAborted)));
        app.MapPost("/api/searches/{id}/{action}", async (string id, string action, HttpContext c) =>
        {
            var reason = action == "cancel" ? await Reason(c, options.MaxRequestBytes) : null;
            var done = await queries.ControlAsync(id, action, reason, c.RequestAborted);
            return Json(new { searchId = done.SearchId, command = done.Command, changed = done.Changed, message = done.Message });
        });
        app.MapGet("/api/searches/{id}/export.json", async (string id, HttpContext c) =>
        {
            var results = await queries.ResultsAsync(id, c.RequestAborted);
            c.Response.Headers.ContentDisposition = $"attachment; filename=\"{FileName(id)}.json\"";
            return Results.Text(SearchExport.ToJson(results), "application/json", Encoding.UTF8);
        });
        app.MapGet("/api/searches/{id}/{plot}.svg", async (string id, string plot, HttpContext c) =>
        {
            if (!SearchPlots.Names.Contains(plot))
                throw new DashboardRequestException(404, $"unknown plot '{plot}' (known: {string.Join(", ", SearchPlots.Names)})");
            var results = await queries.ResultsAsync(id, c.RequestAborted);
            return Results.Text(SearchPlots.Svg(plot, results), "image/svg+xml", Encoding.UTF8);
        });
        app.MapGet("/api/events", Events);
        app.MapGet("/metrics", async (HttpRequest request, CancellationToken cancel) =>
        {
            var openMetrics = request.Headers.Accept.ToString().Contains("application/openmetrics-text", StringComparison.Ordinal);
            var text = await DashboardMetrics.WriteAsync(new OpenMetricsWriter(openMetrics), system, feed, queries, jobs, cancel);
            return Results.Text(text.ToString(), text.ContentType);
        });
        app.MapFallback((HttpContext c) =>
            Results.Json(new { error = $"no such page: {c.Request.Method} {c.Request.Path}" }, DashboardJson.Options, statusCode: 404));

        async Task Events(HttpContext c)
        {
            c.Response.Headers.ContentType = "text/event-stream";
            c.Response.Headers.CacheControl = "no-cache";
            c.Response.Headers["X-Accel-Buffering"] = "no";
            await c.Response.WriteAsync("retry: 3000\n\n", c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted);
            await foreach (var e in feed.SubscribeAsync(c.RequestAborted))
            {
                await c.Response.WriteAsync(e.Name == "ping" ? ": ping\n\n" : $"event: {e.Name}\ndata: {e.Data}\n\n", c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
            }
        }
    }

    /// <summary>
    /// With a token set, every request carries it (Authorization: Bearer, the cookie set by the page's first visit with
    /// ?token=, or ?token=); actions are refused from other origins (a page elsewhere cannot press the buttons).
    /// </summary>
    private static bool Authorized(HttpContext c, DashboardOptions options)
    {
        if (HttpMethods.IsPost(c.Request.Method) && c.Request.Headers.Origin is { Count: > 0 } origin
            && (!Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var o) || !string.Equals(o.Authority, c.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            throw new DashboardRequestException(403, $"actions are accepted from the dashboard's own pages only (origin {origin} is not {c.Request.Host})");
        if (options.Token.Length == 0) return true;
        var fromQuery = c.Request.Query["token"].ToString();
        var given = c.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
            ? auth["Bearer ".Length..].Trim()
            : fromQuery.Length > 0 ? fromQuery : c.Request.Cookies[TokenCookie] ?? "";
        if (!Same(given, options.Token))
            throw new DashboardRequestException(401, given.Length == 0
                ? $"this dashboard needs its token ({DashboardOptions.Path}.token): open /?token=... or send Authorization: Bearer ..."
                : "wrong token");
        if (fromQuery.Length > 0)
            c.Response.Cookies.Append(TokenCookie, fromQuery, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        return true;
    }

    private static bool Same(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static async Task Error(HttpContext c, int status, string message)
    {
        if (c.Response.HasStarted) return;
        c.Response.Clear();
        c.Response.StatusCode = status;
        await c.Response.WriteAsJsonAsync(new { error = message }, DashboardJson.Options);
    }

    private static IResult Json(object value) => Results.Json(value, DashboardJson.Options);

    private static int? IntQuery(HttpContext c, string name, int min, int max)
    {
        if (!c.Request.Query.TryGetValue(name, out var values)) return null;
        var text = values.ToString();
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v : throw new DashboardRequestException(400, $"{name} must be a whole number in [{min}, {max}], got '{text}'");
    }

    private static async Task<string?> Reason(HttpContext c, int maxBytes)
    {
        if (c.Request.ContentLength is 0 || (c.Request.ContentLength is null && !c.Request.Headers.TransferEncoding.Any())) return null;
        // A body without a length (chunked) is read up to the limit, no further.
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await c.Request.Body.ReadAsync(chunk, c.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
                throw new DashboardRequestException(413, $"request body is over the limit of {maxBytes} bytes ({DashboardOptions.Path}.max-request-bytes)");
        }
        buffer.Position = 0;
        try
        {
            using var doc = await JsonDocument.ParseAsync(buffer, cancellationToken: c.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DashboardRequestException(400, "the body must be a JSON object such as {\"reason\": \"...\"}");
            if (!doc.RootElement.TryGetProperty("reason", out var r)) return null;
            return r.ValueKind == JsonValueKind.String ? r.GetString()
                : throw new DashboardRequestException(400, "reason must be a string");
        }
        catch (JsonException e) { throw new DashboardRequestException(400, $"the body is not JSON: {e.Message}"); }
    }

    private static string FileName(string id) => new(id.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());

    private static IResult Asset(string name)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
            ?? throw new DashboardRequestException(404, $"no such file: {name}");
        var type = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => "application/octet-stream",
        };
        return Results.Stream(stream, type);
    }
}

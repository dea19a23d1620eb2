namespace NasActors.Pbm.Tests.Support;

/// <summary>Awaits a condition (no fixed sleeps): re-checks it every few milliseconds until it holds or time runs out.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> attempt, Func<T, bool> ok, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await attempt();
            if (ok(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}; last: {value}");
            await Task.Delay(50);
        }
    }
}

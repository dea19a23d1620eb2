using System.Diagnostics;
using System.Globalization;

namespace NasActors.Node.Commands.Bench;

/// <summary>
/// Peak GPU memory of a child process, sampled with <c>nvidia-smi</c> while it runs. TorchSharp 0.107 exposes none of
/// LibTorch's CUDA memory statistics (no <c>torch.cuda.max_memory_allocated</c>, no memory_stats: only
/// is_available, device_count, synchronize and seeding), so the figure is the driver's: the process's used memory
/// (<c>--query-compute-apps</c>: its CUDA context plus everything LibTorch's caching allocator reserved, which it keeps
/// until the process ends, so the peak is not missed between samples) and, where the driver does not list the process
/// (a PID namespace in a container hides it), the device's used memory less what was used before the child started.
/// </summary>
public sealed class GpuMemoryProbe : IAsyncDisposable
{
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);

    private readonly int _pid;
    private readonly int _gpu;
    private readonly long _deviceBefore;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _processPeak = -1, _processFirst = -1, _devicePeak = -1;
    private int _samples;

    private GpuMemoryProbe(int pid, int gpu, long deviceBefore)
    {
        _pid = pid;
        _gpu = gpu;
        _deviceBefore = deviceBefore;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What a probe saw: the process's peak (null when the driver never listed it), its first sample (about its
    /// CUDA context), the device's peak above its use before the child, and the number of samples.</summary>
    public sealed record Reading(long? ProcessPeakBytes, long? ProcessFirstBytes, long? DevicePeakAboveBaselineBytes, int Samples)
    {
        /// <summary>The figure to report: the process's own where the driver listed it, else the device's rise.</summary>
        public long? PeakBytes => ProcessPeakBytes ?? DevicePeakAboveBaselineBytes;
        public string Source => ProcessPeakBytes is not null ? "nvidia-smi, the process's used memory" : DevicePeakAboveBaselineBytes is not null ? "nvidia-smi, the device's used memory less its use before" : "none";
    }

    /// <summary>The device's used memory now (bytes), or null without a working nvidia-smi: call before the child starts.</summary>
    public static long? DeviceUsedBytes(int gpu) => Query($"--query-gpu=index,memory.used", gpu.ToString(CultureInfo.InvariantCulture));

    /// <summary>Starts sampling a running process on GPU <paramref name="gpu"/>.</summary>
    public static GpuMemoryProbe Start(int pid, int gpu, long deviceBefore) => new(pid, gpu, deviceBefore);

    /// <summary>The GPU index of a device name (cuda, cuda:N, auto: 0).</summary>
    public static int GpuIndex(string device) =>
        device.Trim().ToLowerInvariant() is var d && d.StartsWith("cuda:", StringComparison.Ordinal)
        && int.TryParse(d["cuda:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public async Task<Reading> StopAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        return new Reading(_processPeak >= 0 ? _processPeak : null, _processFirst >= 0 ? _processFirst : null,
            _devicePeak >= 0 ? Math.Max(0, _devicePeak - _deviceBefore) : null, _samples);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Query("--query-compute-apps=pid,used_memory", _pid.ToString(CultureInfo.InvariantCulture)) is { } mine)
            {
                if (_processFirst < 0) _processFirst = mine;
                _processPeak = Math.Max(_processPeak, mine);
            }
            if (DeviceUsedBytes(_gpu) is { } device) _devicePeak = Math.Max(_devicePeak, device);
            _samples++;
            try { await Task.Delay(Every, _stop.Token); } catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Runs nvidia-smi with a CSV query and returns the MiB (as bytes) of the row whose first column is
    /// <paramref name="key"/>, summed over such rows; null when nvidia-smi is missing, fails or lists no such row.</summary>
    private static long? Query(string query, string key)
    {
        try
        {
            var psi = new ProcessStartInfo("nvidia-smi") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(query);
            psi.ArgumentList.Add("--format=csv,noheader,nounits");
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(5000)) { p.Kill(); return null; }
            if (p.ExitCode != 0) return null;
            return Sum(text, key);
        }
        catch (System.ComponentModel.Win32Exception) { return null; } // no nvidia-smi
    }

    /// <summary>Sums the MiB column of the CSV rows whose first column is <paramref name="key"/>, as bytes; null when none.</summary>
    public static long? Sum(string csv, string key)
    {
        long? total = null;
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length >= 2 && cells[0] == key && long.TryParse(cells[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib))
                total = (total ?? 0) + mib * 1048576;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}

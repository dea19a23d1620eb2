using NasActors.Torch.Runtime;
using TorchSharp;

namespace NasActors.Torch.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Missing_libtorch_folder_is_an_error_naming_the_path()
    {
        var e = Assert.Throws<TorchRuntimeException>(() =>
            TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions { LibTorchFolder = "/nonexistent/libtorch" }));
        Assert.Contains("/nonexistent/libtorch", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Libtorch_folder_without_a_library_names_the_missing_file()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("libc10.so"), []);
        var e = Assert.Throws<TorchRuntimeException>(() =>
            TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions { LibTorchFolder = tmp.Path }));
        Assert.Contains("lacks libtorch_cpu.so", e.Message);
        Assert.Contains(tmp.Path, e.Message);
    }

    [Fact]
    public void Complete_libtorch_folder_resolves_and_no_folder_means_the_apps_own_natives()
    {
        using var tmp = new TempFolder();
        foreach (var f in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }) File.WriteAllBytes(tmp.File(f), []);
        Assert.Equal(tmp.Path, TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions { LibTorchFolder = tmp.Path }));
        if (Environment.GetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable) is null)
            Assert.Null(TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions()));
    }

    [Fact]
    public void Libtorch_folder_from_the_environment_variable_is_named_in_the_error()
    {
        // Tests of one class run one after another, and only this class reads the variable.
        var before = Environment.GetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable, "/nonexistent/from-env");
            var e = Assert.Throws<TorchRuntimeException>(() => TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions()));
            Assert.Contains("/nonexistent/from-env", e.Message);
            Assert.Contains("NASACTORS_LIBTORCH", e.Message);
            // The option wins over the variable.
            using var tmp = new TempFolder();
            foreach (var f in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }) File.WriteAllBytes(tmp.File(f), []);
            Assert.Equal(tmp.Path, TorchRuntime.ResolveLibTorchFolder(new TorchRuntimeOptions { LibTorchFolder = tmp.Path }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.LibTorchEnvironmentVariable, before);
        }
    }

    [Fact]
    public void Cpu_device_and_threads_are_set_and_unknown_devices_rejected()
    {
        var info = TorchRuntime.Initialize(new TorchRuntimeOptions { Device = "cpu", Threads = 2 });
        Assert.Equal(DeviceType.CPU, info.Device.type);
        Assert.Equal(2, info.Threads);
        Assert.Same(info, TorchRuntime.Initialize(new TorchRuntimeOptions { Device = "cpu", Threads = 2 }));
        var again = Assert.Throws<TorchRuntimeException>(() => TorchRuntime.Initialize(new TorchRuntimeOptions { Device = "cpu", Threads = 1 }));
        Assert.Contains("already initialized", again.Message);
        Assert.Equal(DeviceType.CPU, TorchRuntime.SelectDevice("cpu").type);
        var e = Assert.Throws<TorchRuntimeException>(() => TorchRuntime.SelectDevice("tpu"));
        Assert.Contains("'tpu'", e.Message);
        if (!torch.cuda.is_available())
        {
            Assert.Equal(DeviceType.CPU, TorchRuntime.SelectDevice("auto").type);
            var c = Assert.Throws<TorchRuntimeException>(() => TorchRuntime.SelectDevice("cuda"));
            Assert.Contains("CUDA is not available", c.Message);
        }
    }
}

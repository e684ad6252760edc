using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;

namespace XraySyslogSink.Hosting;

/// <summary>
/// Compiles the per-row code paths at start, before the spool replays and the listeners open. The daemon runs with
/// tiered compilation off and its own assembly (and the hashing libraries) without ReadyToRun code, so each of
/// about a thousand methods was otherwise compiled, fully optimized, at its first use: inside the first batches of
/// a run, which is when a restarted collector with a backlog or a burst can least afford it (docs/performance.md,
/// "JIT warm-up at start-up"). This moves that cost, it does not remove it.
/// </summary>
/// <remarks>
/// Every method of the hot folders' types is prepared (<see cref="RuntimeHelpers.PrepareMethod(RuntimeMethodHandle)"/>
/// compiles without running anything). The generic instantiations a type walk cannot name (a framework collection
/// over one of our structs, an async method's builder over its state machine) are found in the method bodies' IL
/// and prepared too, following calls into code no precompiled image holds: our own, the assemblies published
/// without ReadyToRun, and instantiations over our types, at most <see cref="MaxDepth"/> calls away from our code.
/// A generic type that framework code constructs for us (an async method's box) has its virtual methods prepared
/// with it: they run through a base class or an interface, never through a call site the IL shows. Code no row
/// runs through (see <see cref="IsColdByName"/>) is left to its first use. Nothing is invoked, so nothing touches the database, the
/// spool or a socket; a method that cannot be prepared is counted, never thrown.
/// </remarks>
internal sealed class JitWarmUp
{
    /// <summary>The folders whose code runs per row (receive, spool, parse, resolve, COPY encoding, commit).</summary>
    public static readonly string[] HotFolders = ["Core", "Telemetry", "Syslog", "Xray", "Spool", "Storage", "Nodes", "Listeners", "Pipeline"];

    /// <summary>Namespaces left to first use (see <see cref="IsColdByName"/>).</summary>
    public static readonly string[] ColdNamespaces = ["XraySyslogSink.Storage.Migrations", "System.Linq"];

    /// <summary>How many calls away from our code the walk follows framework code instantiated over our types.</summary>
    public const int MaxDepth = 4;

    private const int FailureSamples = 5;

    private readonly Assembly _daemon;
    private readonly Action<MethodBase, long>? _observer;
    private readonly HashSet<Assembly> _compiledAtFirstUse = [];
    private readonly Dictionary<Assembly, bool> _precompiled = [];
    private readonly HashSet<RuntimeMethodHandle> _seen = [];
    private readonly Queue<(MethodBase Method, int Depth)> _pending = new();
    private readonly HashSet<Type> _instantiated = [];
    private readonly HashSet<Type> _constructed = [];
    private readonly List<string> _failures = [];
    private int _prepared;
    private int _skipped;
    private int _failed;
    private int _unresolved;

    private JitWarmUp(Assembly daemon, Action<MethodBase, long>? prepared)
    {
        _daemon = daemon;
        _observer = prepared;
        _compiledAtFirstUse.Add(daemon);
    }

    /// <summary>The types of the daemon's <see cref="HotFolders"/>, nested and compiler-generated ones included.</summary>
    public static IEnumerable<Type> HotTypes(Assembly daemon)
    {
        string root = nameof(XraySyslogSink) + ".";
        HashSet<string> folders = [.. HotFolders.Select(folder => root + folder)];
        return daemon.GetTypes().Where(type => type.Namespace is { } ns
            && (folders.Contains(ns) || folders.Any(folder => ns.StartsWith(folder + ".", StringComparison.Ordinal))));
    }

    /// <summary>Prepares every method of <paramref name="types"/> and what they instantiate; counts, never throws.</summary>
    /// <param name="types">The types whose methods are prepared; the first one's assembly counts as ours.</param>
    /// <param name="prepared">Told of each method prepared, with how many methods the JIT compiled for it.</param>
    /// <param name="cancellationToken">Stops the walk (a stop requested during start).</param>
    public static JitWarmUpResult Run(IEnumerable<Type> types, Action<MethodBase, long>? prepared = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        JitWarmUp? walk = null;
        int typeCount = 0;
        foreach (Type type in types)
        {
            walk ??= new JitWarmUp(type.Assembly, prepared);
            typeCount++;
            walk.AddType(type);
        }

        walk?.Drain(cancellationToken);
        return new JitWarmUpResult(
            typeCount,
            walk?._prepared ?? 0,
            walk?._skipped ?? 0,
            walk?._failed ?? 0,
            walk?._unresolved ?? 0,
            System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - compiledBefore,
            walk?._failures ?? []);
    }

    private void AddType(Type type)
    {
        if (type.ContainsGenericParameters)
        {
            // Open generic types: their instantiations are reached through the call sites that make them.
            _skipped++;
            return;
        }

        const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        foreach (MethodInfo method in type.GetMethods(Declared))
        {
            Enqueue(method, 0);
        }

        foreach (ConstructorInfo constructor in type.GetConstructors(Declared))
        {
            Enqueue(constructor, 0);
        }

        if (type.TypeInitializer is { } initializer)
        {
            Enqueue(initializer, 0);
        }
    }

    private void Enqueue(MethodBase method, int depth)
    {
        if (_seen.Add(method.MethodHandle))
        {
            _pending.Enqueue((method, depth));
        }
    }

    private void Drain(CancellationToken cancellationToken)
    {
        while (_pending.TryDequeue(out var next))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Prepare(next.Method) && ShouldFollow(next.Method, next.Depth) is int depth)
            {
                foreach (IlCallSites.CallSite site in IlCallSites.Of(next.Method, ref _unresolved))
                {
                    AddCallee(site, depth);
                }
            }
        }
    }

    private bool Prepare(MethodBase method)
    {
        if (IsColdByName(method))
        {
            _skipped++;
            return false;
        }

        if (method.IsAbstract
            || method.ContainsGenericParameters
            || (method.Attributes & MethodAttributes.PinvokeImpl) != 0
            || (method.MethodImplementationFlags & (MethodImplAttributes.InternalCall | MethodImplAttributes.Runtime)) != 0)
        {
            // Nothing to compile from IL: an abstract or open method, a P/Invoke or a runtime-provided body.
            _skipped++;
            return false;
        }

        try
        {
            long before = _observer is null ? 0 : System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            RuntimeMethodHandle handle = method.MethodHandle;
            // PrepareMethod compiles a method whose entry point leads to the prestub; a method nothing has referenced
            // yet has no entry point (the runtime makes them lazily), and PrepareMethod then returns having compiled
            // nothing (measured: interface implementations not called yet were compiled in the run all the same).
            // Asking for the function pointer makes the entry point.
            _ = handle.GetFunctionPointer();
            RuntimeHelpers.PrepareMethod(handle);
            _prepared++;
            _observer?.Invoke(method, System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failed++;
            if (_failures.Count < FailureSamples)
            {
                _failures.Add($"{method.DeclaringType}.{method.Name}: {ex.GetType().Name}: {ex.Message}");
            }

            return false;
        }
    }

    /// <summary>
    /// Code no row runs through however the daemon is set up: text for logs (a record's generated <c>ToString</c>),
    /// the schema migrations (run before the warm-up, once), and LINQ, which the per-row code does not use (spans
    /// and pooled buffers), so its instantiations over our types serve start-up, scrapes and error paths.
    /// </summary>
    private static bool IsColdByName(MethodBase method) =>
        method.Name is nameof(ToString) or "PrintMembers" || ColdNamespaces.Contains(method.DeclaringType?.Namespace);

    /// <summary>The depth of <paramref name="method"/>'s callees when its body is worth reading, else null.</summary>
    private int? ShouldFollow(MethodBase method, int depth)
    {
        if (method.DeclaringType is not { } type)
        {
            return null;
        }

        if (type.Assembly == _daemon)
        {
            return 0;
        }

        // Beyond our own code only what no precompiled image holds: a library published without ReadyToRun code,
        // or an instantiation over our types.
        return depth < MaxDepth && (IsCompiledAtFirstUse(type.Assembly) || InvolvesOurTypes(method)) ? depth + 1 : null;
    }

    private void AddCallee(IlCallSites.CallSite site, int depth)
    {
        MethodBase callee = site.Callee;
        if (callee.DeclaringType is not { } type || callee.ContainsGenericParameters)
        {
            return;
        }

        bool instantiated = type.IsConstructedGenericType || callee.IsGenericMethod;
        if (!instantiated && !IsCompiledAtFirstUse(type.Assembly))
        {
            // A plain method of a precompiled library has its code already.
            return;
        }

        Enqueue(callee, depth);
        if (type.IsConstructedGenericType && _instantiated.Add(type) && type.TypeInitializer is { } initializer)
        {
            // Its static constructor runs at its first use too (a collection's empty array).
            Enqueue(initializer, depth);
        }

        // A type that framework code constructs on our behalf (an async method's box) is driven through its base
        // class or an interface, so its virtual methods are called from no site the IL shows. What our own code
        // constructs, it calls directly (those sites are read).
        if (depth > 0 && site.Constructs && type.IsConstructedGenericType && _constructed.Add(type))
        {
            const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
            foreach (MethodInfo method in type.GetMethods(Declared).Where(method => method.IsVirtual))
            {
                Enqueue(method, depth);
            }
        }
    }

    private bool InvolvesOurTypes(MethodBase method) =>
        (method.DeclaringType is { IsConstructedGenericType: true } type && type.GenericTypeArguments.Any(IsOurs))
        || (method.IsGenericMethod && method.GetGenericArguments().Any(IsOurs));

    private bool IsOurs(Type type) =>
        type.HasElementType ? IsOurs(type.GetElementType()!)
        : IsCompiledAtFirstUse(type.Assembly) || (type.IsConstructedGenericType && type.GenericTypeArguments.Any(IsOurs));

    /// <summary>Our assembly, and an assembly without ReadyToRun code (a library left IL in the publish, or any plain build).</summary>
    private bool IsCompiledAtFirstUse(Assembly assembly)
    {
        if (_compiledAtFirstUse.Contains(assembly))
        {
            return true;
        }

        if (!_precompiled.TryGetValue(assembly, out bool precompiled))
        {
            precompiled = HasReadyToRunCode(assembly);
            _precompiled[assembly] = precompiled;
        }

        return !precompiled && IsLibraryOfOurs(assembly);
    }

    /// <summary>The libraries the daemon ships beside itself (the shared framework is always precompiled).</summary>
    private bool IsLibraryOfOurs(Assembly assembly) =>
        !assembly.IsDynamic && Path.GetDirectoryName(assembly.Location) == Path.GetDirectoryName(_daemon.Location);

    private static bool HasReadyToRunCode(Assembly assembly)
    {
        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
        {
            return true;
        }

        try
        {
            using var file = File.OpenRead(assembly.Location);
            using var reader = new PEReader(file);
            return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}

using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace NotificationHub.Tests.Ops;

/// <summary>Log event ids come from the one table (<c>src/Shared/LogEventIds.cs</c>) and never collide.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_logger_message_id_is_unique_across_assemblies_and_listed_once_in_the_table()
    {
        var messages = ProductAssemblies()
            .SelectMany(LoadableTypes)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();
        Assert.True(messages.Count > 50, $"found only {messages.Count} [LoggerMessage] methods");

        var collisions = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(collisions.Count == 0, "colliding event ids: " + string.Join("; ", collisions));

        var table = typeof(NotificationHub.Server.Sse.SseHandler).Assembly.GetType("NotificationHub.LogEventIds", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        Assert.Equal(table.Count, table.Values.Distinct().Count());
        Assert.Equal(table.Values.Order(), messages.Select(m => m.Attribute!.EventId).Order()); // no id outside the table, no stale entry
    }

    // Every NotificationHub assembly next to the tests, so a new project that logs is checked without editing this test.
    private static IEnumerable<Assembly> ProductAssemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "NotificationHub.*.dll")
            .Where(path => !Path.GetFileName(path).StartsWith("NotificationHub.Tests", StringComparison.Ordinal))
            .Select(path => AssemblyLoadContext.Default.LoadFromAssemblyName(AssemblyName.GetAssemblyName(path)));

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}

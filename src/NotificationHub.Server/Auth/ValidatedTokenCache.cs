using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The token handler of JWT bearer authentication, wrapped so that a publisher token is validated once and then
/// served from memory until its <c>exp</c> or <see cref="AuthOptions.PublisherTokenCacheMaxAge"/>, whichever is first.
/// </summary>
/// <remarks>
/// <para>
/// A publisher sends the same token with thousands of publish requests per second; validating it each time (parse,
/// base64, JSON, HMAC, a <see cref="ClaimsIdentity"/> with every claim) was about a third of the bytes allocated per
/// publish request. Only valid tokens carrying <see cref="ClaimNames.PublishScope"/> are cached: a user token is
/// validated once per SSE stream or hub connection, so caching it would save nothing and would cost memory per
/// connection. Failures are never cached: the inner handler's result, with its exception, goes to JwtBearer unchanged,
/// so <c>OnChallenge</c> still maps it to the same 401.
/// </para>
/// <para>
/// The key is the exact token string, compared ordinally: a hash alone could let a second token that collides be
/// accepted with the first one's claims. An entry is used strictly before the token's <c>exp</c> (the clock skew that
/// the inner handler tolerates is not extended to cached entries) and for at most the maximum age, so a signing key
/// that was rotated out (JWKS of <c>Auth:Authority</c>) stops being honoured within that age.
/// </para>
/// <para>
/// A hit returns the same completed task and <see cref="TokenValidationResult"/> every time, so it allocates nothing
/// here. Those and the <see cref="ClaimsIdentity"/> inside are shared by every request using the token: JwtBearer only
/// reads the result and wraps the identity in a new <see cref="ClaimsPrincipal"/>, and the server's
/// <c>OnTokenValidated</c> replaces that with a <see cref="SlimPrincipal"/> around the same identity, which is cached
/// slim already (<see cref="SlimIdentity"/>: only the claims the hub reads). Nothing may mutate the identity a token handler returns
/// (<c>AddClaim</c> and the like) while this cache is on.
/// </para>
/// </remarks>
internal sealed class ValidatedTokenCache : TokenHandler
{
    private readonly TokenHandler _inner;
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _maxAge;
    private readonly string _tenantClaim;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _entriesBySpan;

    // Counted here rather than with ConcurrentDictionary.Count, which takes every lock of the dictionary.
    private int _count;

    // When the cache is full, the earliest time at which a sweep can free an entry (UTC ticks).
    private long _nextSweepTicks;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The handler that validates (JwtBearer's <c>JsonWebTokenHandler</c>).</param>
    /// <param name="time">The clock entries expire by.</param>
    /// <param name="capacity">At most this many tokens are cached (at least 1).</param>
    /// <param name="maxAge">How long after its validation an entry may be used at most.</param>
    /// <param name="tenantClaim">The tenant claim's name (<c>Auth:TenantClaim</c>), kept in the cached <see cref="SlimIdentity"/>.</param>
    public ValidatedTokenCache(TokenHandler inner, TimeProvider time, int capacity, TimeSpan maxAge, string tenantClaim = ClaimNames.DefaultTenant)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        _inner = inner;
        _time = time;
        _capacity = capacity;
        _maxAge = maxAge;
        _tenantClaim = tenantClaim;
        _entriesBySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The wrapped handler.</summary>
    public TokenHandler Inner => _inner;

    /// <summary>Tokens cached now, expired ones not yet removed included.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The cached token string equal to <paramref name="token"/> (expired or not: validation decides), so that a
    /// request can hand JwtBearer that instance instead of JwtBearer cutting a new copy of the token (~0.8 KB) out of
    /// the <c>Authorization</c> header on every request. False when the token is not cached.
    /// </summary>
    public bool TryGetCachedToken(ReadOnlySpan<char> token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? cached) =>
        _entriesBySpan.TryGetValue(token, out cached, out _);

    /// <summary>
    /// The identity of <paramref name="token"/> when it is cached and its entry still valid now (what
    /// <see cref="ValidateTokenAsync(string, TokenValidationParameters)"/> would return without validating), else null.
    /// </summary>
    public SlimIdentity? TryGetValidIdentity(ReadOnlySpan<char> token) =>
        _entriesBySpan.TryGetValue(token, out _, out var entry) && _time.GetUtcNow().UtcTicks < entry.ExpiresAtTicks
            ? entry.Result.Result.ClaimsIdentity as SlimIdentity
            : null;

    /// <inheritdoc />
    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (token is not null && _entries.TryGetValue(token, out var entry))
        {
            if (_time.GetUtcNow().UtcTicks < entry.ExpiresAtTicks)
            {
                return entry.Result;
            }

            Remove(token, entry);
        }

        return ValidateAndCacheAsync(token!, validationParameters);
    }

    /// <inheritdoc />
    /// <remarks>An already parsed token is validated by the inner handler every time (JwtBearer does not call this).</remarks>
    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        _inner.ValidateTokenAsync(token, validationParameters);

    /// <inheritdoc />
    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);

    private async Task<TokenValidationResult> ValidateAndCacheAsync(string token, TokenValidationParameters validationParameters)
    {
        var result = await _inner.ValidateTokenAsync(token, validationParameters);
        // The first request gets what every later one will: the cached result, when the token was cached.
        return result.IsValid && TryAdd(token, result) is { } cached ? cached : result;
    }

    private TokenValidationResult? TryAdd(string token, TokenValidationResult result)
    {
        var securityToken = result.SecurityToken;
        if (result.ClaimsIdentity is null || securityToken is null)
        {
            return null;
        }

        // Slimmed once here rather than per request in OnTokenValidated, which then wraps this identity as it is.
        var user = SlimPrincipal.From(new ClaimsPrincipal(result.ClaimsIdentity), _tenantClaim);
        if (!user.HasScope(ClaimNames.PublishScope))
        {
            return null;
        }

        var identity = ((SlimPrincipal)user).Slim;

        // ValidTo is MinValue for a token without exp (refused anyway: RequireExpirationTime).
        var validTo = securityToken.ValidTo;
        if (validTo == DateTime.MinValue)
        {
            return null;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var expiresAt = Math.Min(ToUtcTicks(validTo), now + _maxAge.Ticks);
        if (expiresAt <= now)
        {
            return null; // accepted only thanks to the clock skew: validate it every time
        }

        // Bounded without an eviction order to maintain, so that a hit stays one lock-free lookup: a slot is reserved
        // first (the bound holds under concurrency); when none is free, expired entries are swept out, and if the cache
        // is still full the token is simply not cached (it is validated per request, as without the cache). Only valid
        // publisher tokens get in, so filling the cache needs many valid tokens; their number is what capacity bounds.
        if (!TryReserveSlot(now))
        {
            return null;
        }

        // A result of our own rather than the inner one: its identity is set (never created lazily from the token
        // by a request that happens to read it first), and it does not keep the request's validation parameters.
        var cached = new TokenValidationResult
        {
            IsValid = true,
            ClaimsIdentity = identity,
            SecurityToken = securityToken,
            Issuer = result.Issuer,
            TokenType = result.TokenType,
        };
        if (_entries.TryAdd(token, new Entry(Task.FromResult(cached), expiresAt)))
        {
            LowerNextSweep(expiresAt);
            return cached;
        }

        Interlocked.Decrement(ref _count); // another request cached it first
        return null;
    }

    private bool TryReserveSlot(long now)
    {
        if (Interlocked.Increment(ref _count) <= _capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        if (now < Volatile.Read(ref _nextSweepTicks))
        {
            return false; // nothing can have expired yet: no O(capacity) sweep on every miss of a full cache
        }

        var earliest = long.MaxValue;
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAtTicks <= now)
            {
                Remove(key, entry);
            }
            else
            {
                earliest = Math.Min(earliest, entry.ExpiresAtTicks);
            }
        }

        Volatile.Write(ref _nextSweepTicks, earliest);
        if (Interlocked.Increment(ref _count) <= _capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    private void LowerNextSweep(long expiresAt)
    {
        var current = Volatile.Read(ref _nextSweepTicks);
        while (expiresAt < current)
        {
            var seen = Interlocked.CompareExchange(ref _nextSweepTicks, expiresAt, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    // Removes exactly this entry: a fresh one cached meanwhile by another request is kept.
    private void Remove(string token, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(token, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private static long ToUtcTicks(DateTime time) =>
        (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time).Ticks;

    private sealed class Entry(Task<TokenValidationResult> result, long expiresAtTicks)
    {
        public Task<TokenValidationResult> Result { get; } = result;

        public long ExpiresAtTicks { get; } = expiresAtTicks;
    }
}

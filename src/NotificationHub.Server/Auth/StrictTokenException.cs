using Microsoft.IdentityModel.Tokens;

namespace NotificationHub.Server.Auth;

/// <summary>A token that is validly signed but breaks a rule of <see cref="StrictTokenHandler"/>; the message is the 401's reason.</summary>
public sealed class StrictTokenException(string message) : SecurityTokenValidationException(message);

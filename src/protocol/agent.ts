import { z } from 'zod';
import { AgentId } from './common.js';

export const RegisterBody = z.looseObject({
  platform: z.string().max(100).optional(),
  display_name: z.string().max(200).optional(),
});
export type RegisterBody = z.infer<typeof RegisterBody>;

export const RegisterResponse = z.looseObject({
  agent_id: AgentId,
  agent_token: z.string().min(1).optional(),
  display_name: z.string().nullish(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const CLAIM_CODE_PATTERN = /^WTT-CLAIM-[A-Z0-9]{8}$/;

export const ClaimCodeBody = z.looseObject({ agent_id: AgentId.optional() });
export type ClaimCodeBody = z.infer<typeof ClaimCodeBody>;

/** Servers answer `code` or `claim_code`, with `expires_in_seconds` or `expires_at` (§2.3). */
export const ClaimCodeResponse = z
  .looseObject({
    code: z.string().optional(),
    claim_code: z.string().optional(),
    expires_in_seconds: z.number().optional(),
    expires_at: z.string().optional(),
  })
  .refine((r) => Boolean(r.code ?? r.claim_code), { message: 'claim code response has neither code nor claim_code' });
export type ClaimCodeResponse = z.infer<typeof ClaimCodeResponse>;

export const ClaimBody = z.looseObject({
  code: z.string().min(1).optional(),
  invite_code: z.string().min(1).optional(),
}).refine((b) => Boolean(b.code ?? b.invite_code), { message: 'code is required' });
export type ClaimBody = z.infer<typeof ClaimBody>;

export const Binding = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  agent_id: AgentId,
  display_name: z.string().nullish(),
  is_primary: z.boolean().optional(),
  api_key: z.string().optional(),
  binding_method: z.string().optional(),
  bound_at: z.string().optional(),
});
export type Binding = z.infer<typeof Binding>;

export const UserRegisterBody = z.looseObject({
  email: z.string().min(3).max(320),
  password: z.string().min(8).max(1024),
  display_name: z.string().max(200).optional(),
});
export type UserRegisterBody = z.infer<typeof UserRegisterBody>;

export const UserLoginBody = z.looseObject({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});
export type UserLoginBody = z.infer<typeof UserLoginBody>;

export const LoginResponse = z.looseObject({
  user_id: z.string(),
  access_token: z.string(),
  token_type: z.string().optional(),
  display_name: z.string().nullish(),
  email: z.string().optional(),
});
export type LoginResponse = z.infer<typeof LoginResponse>;

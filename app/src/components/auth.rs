//! Who is logged in, shared by every component. The session resource refetches whenever a
//! login, registration, logout or profile change completes.
use leptos::prelude::*;

use crate::{
    api::{ChangePassword, Login, Logout, Register, UpdateProfile},
    error::AppError,
    model::SessionInfo,
};

/// Auth state and the actions that change it.
#[derive(Clone, Copy)]
pub struct Auth {
    pub info: Resource<Result<SessionInfo, AppError>>,
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub update_profile: ServerAction<UpdateProfile>,
    pub change_password: ServerAction<ChangePassword>,
}

pub fn provide_auth() {
    let login = ServerAction::<Login>::new();
    let register = ServerAction::<Register>::new();
    let logout = ServerAction::<Logout>::new();
    let update_profile = ServerAction::<UpdateProfile>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let info = Resource::new(
        move || {
            (
                login.version().get(),
                register.version().get(),
                logout.version().get(),
                update_profile.version().get(),
            )
        },
        |_| crate::api::get_session_info(),
    );
    provide_context(Auth {
        info,
        login,
        register,
        logout,
        update_profile,
        change_password,
    });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

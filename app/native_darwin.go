//go:build darwin

package app

// The only Objective-C in Portals: darwinkit has no bindings for
// UserNotifications or SMAppService.

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework Foundation -framework UserNotifications -framework ServiceManagement
#import <Foundation/Foundation.h>
#import <UserNotifications/UserNotifications.h>
#import <ServiceManagement/ServiceManagement.h>
#include <stdlib.h>

// Requests permission to show banners. macOS stores the user's choice.
static void portalsRequestNotifications(void) {
	[[UNUserNotificationCenter currentNotificationCenter]
		requestAuthorizationWithOptions:UNAuthorizationOptionAlert
		completionHandler:^(BOOL granted, NSError *error) {}];
}

static void portalsNotify(const char *title, const char *body) {
	UNMutableNotificationContent *content = [UNMutableNotificationContent new];
	content.title = [NSString stringWithUTF8String:title];
	content.body = [NSString stringWithUTF8String:body];
	UNNotificationRequest *request = [UNNotificationRequest
		requestWithIdentifier:[[NSUUID UUID] UUIDString] content:content trigger:nil];
	[[UNUserNotificationCenter currentNotificationCenter] addNotificationRequest:request withCompletionHandler:nil];
}

// Returns 0 when SMAppService is unavailable, 1 when the app is not a
// login item, 2 when it is one (or waits for approval in System Settings).
static int portalsLoginItemState(void) {
	if (@available(macOS 13.0, *)) {
		SMAppServiceStatus status = [SMAppService mainAppService].status;
		return (status == SMAppServiceStatusEnabled || status == SMAppServiceStatusRequiresApproval) ? 2 : 1;
	}
	return 0;
}

// Registers or unregisters the app as a login item. Returns NULL on
// success, or an error description the caller frees.
static char *portalsSetLoginItem(int enable) {
	if (@available(macOS 13.0, *)) {
		NSError *error = nil;
		SMAppService *service = [SMAppService mainAppService];
		BOOL ok = enable ? [service registerAndReturnError:&error] : [service unregisterAndReturnError:&error];
		if (ok && enable && service.status == SMAppServiceStatusRequiresApproval) {
			[SMAppService openSystemSettingsLoginItems];
		}
		return ok ? NULL : strdup(error.localizedDescription.UTF8String);
	}
	return strdup("SMAppService needs macOS 13 or later");
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/portalsapp/portals/app/menu"
)

// requestNotificationPermission requests permission to show banners. Call it only
// inside a bundle (see inBundle).
func requestNotificationPermission() {
	C.portalsRequestNotifications()
}

// notify shows a banner. Call it only inside a bundle.
func notify(title, body string) {
	ct, cb := C.CString(title), C.CString(body)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cb))
	C.portalsNotify(ct, cb)
}

// loginItemState reports Launch at Login for the menu. Outside a bundle
// SMAppService has no app to register, so it is unavailable.
func loginItemState() menu.LoginItem {
	if !inBundle() {
		return menu.LoginUnavailable
	}
	switch C.portalsLoginItemState() {
	case 2:
		return menu.LoginOn
	case 1:
		return menu.LoginOff
	}
	return menu.LoginUnavailable
}

// setLoginItem registers or unregisters the app with SMAppService.
func setLoginItem(enable bool) error {
	if !inBundle() {
		return errNoLoginItem
	}
	flag := C.int(0)
	if enable {
		flag = 1
	}
	if msg := C.portalsSetLoginItem(flag); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("app: changing the login item failed: %s: open System Settings > General > Login Items", C.GoString(msg))
	}
	return nil
}
